import assert from "node:assert/strict";
import { test } from "node:test";
import { escapeXml, XmlWriter } from "./xml-writer.ts";

test("escapes markup characters, CR and drops characters XML cannot carry", () => {
  assert.equal(escapeXml(`a&b<c>"d'e\r\nf\u0001`), "a&amp;b&lt;c&gt;&quot;d&apos;e&#xD;\nf");
});

test("writes elements in call order with escaped attributes", () => {
  const w = new XmlWriter();
  w.open("R", { xmlns: "urn:x&y", skip: undefined }).leaf("A", "1<2").empty("B").close("R");
  assert.equal(w.toString(), '<?xml version="1.0" encoding="UTF-8"?><R xmlns="urn:x&amp;y"><A>1&lt;2</A><B/></R>');
});
