# METADATA
# title: DynamoDB table is not in any AWS Backup plan
# description: A table that no AWS Backup plan selects has no scheduled, retained and vault-protected backups (point-in-time recovery, VGL-DDB-001, keeps only the last 35 days and goes with the table). vigil reads every backup selection of the table's region and decides as AWS Backup does - a selection selects the table when the table's ARN matches one of its Resources (with * wildcards, "*" alone being every resource; no Resources and no ListOfTags also means every resource) and every one of its Conditions holds (StringEquals, StringNotEquals, StringLike, StringNotLike on aws:ResourceTag/KEY), or when one of its ListOfTags (STRINGEQUALS, KEY or aws:ResourceTag/KEY) matches a tag of the table; and a table matching one of its NotResources is never selected. Only plans of the table's own account and region count (a backup policy of AWS Organizations shows as such a plan). Switched off with params.dynamodb.backup_plan_required = false. A listing of the backup selections that could not be read, or tags that could not be read when a tag-based selection would decide, gives an error instead of a verdict. Unlike AWS Config dynamodb-in-backup-plan, which looks at recovery points, this rule reads the plans' selections.
# custom:
#   id: VGL-DDB-005
#   severity: medium
#   resource_types: [AWS::DynamoDB::Table]
#   remediation: Assign the table to a backup plan (aws backup create-backup-selection --backup-plan-id PLAN_ID with the table's ARN in Resources or a tag condition it matches), or set params.dynamodb.backup_plan_required to false.
#   related:
#     fsbp: [DynamoDB.4]
#     aws_config: [dynamodb-in-backup-plan, dynamodb-resources-protected-by-backup-plan]
#     prowler: [dynamodb_table_protected_by_backup_plan]
package vigil.rules.dynamodb.backup_plan

import rego.v1

import data.vigil.lib.document

required := r if {
	r := data.vigil.params.dynamodb.backup_plan_required
	is_boolean(r)
} else := true

table_name := name if {
	name := input.resource.configuration.tableName
	is_string(name)
} else := object.get(input.resource, "resourceId", "(unnamed table)")

arn := a if {
	a := input.resource.arn
	is_string(a)
} else := ""

region := r if {
	r := input.resource.awsRegion
	is_string(r)
} else := "its region"

tags := t if {
	t := input.resource.tags
	is_object(t)
} else := {}

collected := input.resource.supplementaryConfiguration.backupSelections

selections := [s | some s in collected; is_object(s); count(shape_problems(s)) == 0] if is_array(collected) else := []

list_fields := ["resources", "notResources", "listOfTags"]

# What keeps a collected selection from being judged (a hand-written snapshot can hold anything;
# the collector writes lists, objects and null).
shape_problems(s) := {sprintf("%s is not a list", [f]) |
	some f in list_fields
	v := object.get(s, f, null)
	v != null
	not is_array(v)
} | {"conditions is not an object" |
	v := object.get(s, "conditions", null)
	v != null
	not is_object(v)
}

malformed := {sprintf("backup selection #%d is not an object", [i]) |
	some i, s in collected
	not is_object(s)
} | {sprintf("backup selection %s: %s", [selection_label(s), problem]) |
	some s in collected
	is_object(s)
	some problem in shape_problems(s)
} if is_array(collected) else := set()

strings_of(x) := [v | some v in x; is_string(v)] if is_array(x) else := []

objects_of(x) := [v | some v in x; is_object(v)] if is_array(x) else := []

# --- wildcard matching -------------------------------------------------------------------
#
# Written out with regex.match rather than glob.match, whose treatment of an empty delimiter
# list differs between engines. `*` is any run of characters (":" and "/" included); `?` is
# one character in StringLike values only.

# A pattern as a regular expression: every regex metacharacter escaped except `*` (and `?` for
# StringLike), which the callers then turn into `.*` (and `.`). One `replace` per character,
# backslash first, so no replacement sees another's output; a per-character comprehension cost
# ten times as much (benches/README.md), and `strings.replace_n` applies its pairs one after the
# other in regorus but all at once in OPA.
escaped_but_question_mark(p) := replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(
	replace(p, "\\", "\\\\"),
	".", "\\."), "+", "\\+"), "(", "\\("), ")", "\\)"), "[", "\\["), "]", "\\]"),
	"{", "\\{"), "}", "\\}"), "^", "\\^"), "$", "\\$"), "|", "\\|")

escaped(p) := replace(escaped_but_question_mark(p), "?", "\\?")

# An ARN pattern of Resources / NotResources matches the table.
arn_matches(pattern) if {
	is_string(pattern)
	arn != ""
	regex.match(arn_pattern_regex(pattern), arn)
}

arn_pattern_regex(pattern) := concat("", ["^", replace(escaped(pattern), "*", ".*"), "$"])

value_like(pattern, value) if {
	is_string(pattern)
	is_string(value)
	regex.match(like_regex(pattern), value)
}

like_regex(pattern) := concat("", ["^", replace(replace(escaped_but_question_mark(pattern), "?", "."), "*", ".*"), "$"])

# --- tags ----------------------------------------------------------------------------------

tag_prefix := "aws:ResourceTag/"

# The tag a Conditions key names (only aws:ResourceTag/KEY names one).
condition_tag(key) := trim_prefix(key, tag_prefix) if {
	is_string(key)
	startswith(key, tag_prefix)
}

# The tag a ListOfTags key names: KEY or aws:ResourceTag/KEY.
list_tag(key) := trim_prefix(key, tag_prefix) if is_string(key)

tag_equals(tag, value) if {
	is_string(value)
	tags[tag] == value
}

tag_like(tag, value) if value_like(value, tags[tag])

# One Conditions entry holds for the table. Operators are case-sensitive.
holds("stringEquals", p) if tag_equals(condition_tag(p.conditionKey), p.conditionValue)

holds("stringLike", p) if tag_like(condition_tag(p.conditionKey), p.conditionValue)

holds("stringNotEquals", p) if {
	tag := condition_tag(p.conditionKey)
	not tag_equals(tag, p.conditionValue)
}

holds("stringNotLike", p) if {
	tag := condition_tag(p.conditionKey)
	not tag_like(tag, p.conditionValue)
}

operators := ["stringEquals", "stringNotEquals", "stringLike", "stringNotLike"]

condition_entries(sel) := [[op, p] |
	is_object(sel.conditions)
	some op in operators
	some p in objects_of(object.get(sel.conditions, op, []))
]

# Every condition of the selection holds (AND).
conditions_hold(sel) if {
	every entry in condition_entries(sel) {
		holds(entry[0], entry[1])
	}
}

# --- selection -----------------------------------------------------------------------------

excluded_by(sel) if {
	some pattern in strings_of(sel.notResources)
	arn_matches(pattern)
}

by_resources(sel) if {
	some pattern in strings_of(sel.resources)
	arn_matches(pattern)
	conditions_hold(sel)
}

# Neither Resources nor ListOfTags: every resource, narrowed by the conditions.
by_resources(sel) if {
	count(strings_of(sel.resources)) == 0
	count(objects_of(sel.listOfTags)) == 0
	conditions_hold(sel)
}

by_tags(sel) if {
	some t in objects_of(sel.listOfTags)
	t.conditionType == "STRINGEQUALS"
	tag_equals(list_tag(t.conditionKey), t.conditionValue)
}

selects(sel) if {
	not excluded_by(sel)
	by_resources(sel)
}

selects(sel) if {
	not excluded_by(sel)
	by_tags(sel)
}

selected if {
	some sel in selections
	selects(sel)
}

# A selection that could select by tag: its verdict depends on the table's tags.
tag_based(sel) if count(objects_of(sel.listOfTags)) > 0

tag_based(sel) if count(condition_entries(sel)) > 0

tags_unknown if {
	count(document.unreadable({"tags"})) > 0
	some sel in selections
	tag_based(sel)
}

selection_label(sel) := sprintf("%v (plan %v)", [object.get(sel, "selectionName", "?"), object.get(sel, "backupPlanName", object.get(sel, "backupPlanId", "?"))])

excluding := sort([selection_label(sel) | some sel in selections; excluded_by(sel)])

detail := sprintf("no backup plan in %s has a resource selection", [region]) if {
	count(selections) == 0
} else := sprintf("none of the %d backup selections in %s selects it; excluded by the NotResources of %s", [count(selections), region, concat(", ", excluding)]) if {
	count(excluding) > 0
} else := sprintf("none of the %d backup selections in %s selects it", [count(selections), region])

error contains reason if {
	required
	some reason in document.unreadable({"supplementaryConfiguration.backupSelections"})
}

error contains reason if {
	required
	is_array(collected)
	not selected
	tags_unknown
	some reason in document.unreadable({"tags"})
}

# A selection that cannot be judged might select the table.
error contains sprintf("table %s: the backup selections cannot be judged: %s", [table_name, concat("; ", sort(malformed))]) if {
	required
	not selected
	count(malformed) > 0
}

deny contains msg if {
	required
	is_array(collected)
	not selected
	not tags_unknown
	count(malformed) == 0
	msg := sprintf("table %s is not in any AWS Backup plan (%s)", [table_name, detail])
}
