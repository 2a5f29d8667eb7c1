export { type Constraint, type ConstraintTable, constraintFileName, loadConstraintTable } from "./constraints.ts";
export { type EnumTable, enumFileName, loadEnumTable } from "./enums.ts";
export { type ErrorModel, type OperationModel, ServiceModel } from "./service-model.ts";
export { Shape, type ShapeKind, type ShapeTraits } from "./shape.ts";
