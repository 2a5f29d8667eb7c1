import { ManualClock } from "../../src/core/clock.ts";
import { FakeRuntime } from "../../src/runtime/fake-runtime.ts";
import { runtimeContract } from "./runtime.contract.ts";

runtimeContract("FakeRuntime", {
  newRuntime: () => {
    const rt = new FakeRuntime({ clock: new ManualClock() });
    rt.addImage("slipway-test/busybox:latest");
    rt.addImage("slipway-test/web:latest");
    return rt;
  },
  testImage: "slipway-test/busybox:latest",
  webImage: "slipway-test/web:latest",
  unpullableImage: "127.0.0.1:1/nope:latest",
  supportsProcesses: false,
  simulate: { exit: (rt, id, code) => rt.exit(id, code), health: (rt, id, status) => rt.setHealth(id, status) },
});
