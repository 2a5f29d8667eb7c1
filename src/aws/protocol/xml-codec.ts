/**
 * Model-driven XML output for awsQuery and ec2Query. Element names: the member's xmlName trait, else the
 * member name; list items: the list member's xmlName, else "member"; maps: entry/key/value.
 */
import type { Shape } from "../model/index.ts";
import { toBase64, toDate } from "./json-codec.ts";
import type { XmlWriter } from "./xml-writer.ts";

/** Writes the members of a structure value as child elements (no wrapping element). */
export function writeMembers(w: XmlWriter, shape: Shape, value: unknown): void {
  if (typeof value !== "object" || value === null) return;
  const obj = value as Record<string, unknown>;
  for (const [name, member] of shape.members()) {
    const v = obj[name];
    if (v === undefined || v === null) continue;
    const element = member.memberTraits().xmlName ?? name;
    if (member.kind === "list" && member.traits().xmlFlattened) {
      if (!Array.isArray(v)) continue;
      const item = member.listMember();
      for (const x of v) if (x !== undefined && x !== null) writeValue(w, item, x, element);
      continue;
    }
    writeValue(w, member, v, element);
  }
}

export function writeValue(w: XmlWriter, shape: Shape, value: unknown, element: string): void {
  switch (shape.kind) {
    case "structure":
    case "union":
      w.open(element);
      writeMembers(w, shape, value);
      w.close(element);
      return;
    case "list": {
      if (!Array.isArray(value)) return;
      const item = shape.listMember();
      const itemName = item.traits().xmlName ?? "member";
      w.open(element);
      for (const x of value) if (x !== undefined && x !== null) writeValue(w, item, x, itemName);
      w.close(element);
      return;
    }
    case "map": {
      if (typeof value !== "object" || value === null) return;
      const key = shape.mapKey().traits().xmlName ?? "key";
      const val = shape.mapValue();
      const valName = val.traits().xmlName ?? "value";
      w.open(element);
      for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
        if (v === undefined || v === null) continue;
        w.open("entry").leaf(key, k);
        writeValue(w, val, v, valName);
        w.close("entry");
      }
      w.close(element);
      return;
    }
    case "timestamp": {
      const d = toDate(value);
      if (!d) return;
      const fmt = shape.timestampFormat();
      w.leaf(element, fmt === "epoch-seconds" ? String(d.getTime() / 1000) : fmt === "http-date" ? d.toUTCString() : d.toISOString());
      return;
    }
    case "blob": {
      const b = toBase64(value);
      if (b !== undefined) w.leaf(element, b);
      return;
    }
    case "boolean":
      w.leaf(element, value ? "true" : "false");
      return;
    case "unit":
      return;
    default:
      w.leaf(element, typeof value === "object" ? JSON.stringify(value) : String(value));
  }
}
