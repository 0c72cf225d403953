// Validate FHIR R4 resources against the official R4 JSON schema.
// Reads one JSON resource per line on stdin; writes one line per resource:
// a JSON array of error messages, empty when the resource is valid.
// Started once per test session (tests/staff/test_api_fhir.py), because
// compiling the schema takes seconds.
"use strict";
const path = require("path");
const readline = require("readline");

const Validator = require(
  require.resolve("@asymmetrik/fhir-json-schema-validator", {
    paths: [path.join(__dirname, "..", "..", ".ci", "node")],
  }),
);
const validator = new Validator();

function describe(error) {
  if (typeof error === "string") return error;
  const where = error.dataPath || error.instancePath || "";
  const params = error.params ? " " + JSON.stringify(error.params) : "";
  return `${where || "(resource)"}: ${error.message}${params}`;
}

// A Bundle's entries are checked one by one as well: an error inside one
// otherwise surfaces as "matches no resource type" for each of its fields.
function check(resource, where) {
  const errors = validator.validate(resource).map((e) => where + describe(e));
  if (errors.length && resource.resourceType === "Bundle") {
    (resource.entry || []).forEach((entry, i) => {
      if (entry && entry.resource) errors.push(...check(entry.resource, `entry[${i}] `));
    });
  }
  return errors;
}

const lines = readline.createInterface({ input: process.stdin, terminal: false });
lines.on("line", (line) => {
  let errors;
  try {
    errors = [...new Set(check(JSON.parse(line), ""))];
  } catch (error) {
    errors = [`not JSON: ${error.message}`];
  }
  process.stdout.write(JSON.stringify(errors) + "\n");
});
