"""Reads a Steady export with implementations nobody on the team wrote:
fhir.resources (pydantic models of FHIR R4B, which for Bundle, Observation,
Questionnaire and QuestionnaireResponse is R4) validates the Bundle, Python
icalendar parses the schedule, Python's csv module reads the tables.
Prints what it read as JSON; any validation error fails the run."""

import csv
import json
import pathlib
import sys

from fhir.resources.R4B.bundle import Bundle
from icalendar import Calendar

folder = pathlib.Path(sys.argv[1])
out = {}

raw = (folder / "fhir-bundle.json").read_text(encoding="utf-8")
bundle = Bundle.model_validate_json(raw)


# FHIR's JSON rules that the models let through: no empty arrays, objects
# or strings, and no nulls (https://hl7.org/fhir/R4/json.html).
def no_empties(value, path):
    if value is None or value == "" or value == [] or value == {}:
        raise SystemExit(f"empty value at {path}: FHIR JSON allows none")
    if isinstance(value, list):
        for i, item in enumerate(value):
            no_empties(item, f"{path}[{i}]")
    elif isinstance(value, dict):
        for key, item in value.items():
            no_empties(item, f"{path}.{key}")


no_empties(json.loads(raw), "Bundle")
kinds = {}
for entry in bundle.entry or []:
    name = entry.resource.get_resource_type()
    kinds[name] = kinds.get(name, 0) + 1
out["fhir"] = kinds
out["fhir_statuses"] = sorted(
    e.resource.status for e in bundle.entry if e.resource.get_resource_type() == "QuestionnaireResponse"
)
out["observations"] = sorted(
    (e.resource.effectiveDateTime.isoformat(), e.resource.valueInteger)
    for e in bundle.entry
    if e.resource.get_resource_type() == "Observation"
)

calendar = Calendar.from_ical((folder / "schedule.ics").read_bytes())
out["events"] = sorted(str(e.get("SUMMARY")) for e in calendar.walk("VEVENT"))

for name in ["checkins", "triggers", "attendance", "worksheet-answers"]:
    with open(folder / f"{name}.csv", newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    out[name] = rows

print(json.dumps(out))
