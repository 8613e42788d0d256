# Fields of a resource document that the collector could not read.
#
# A collector that fails to read one field of a resource (a denied GetPolicy, a key policy that
# is not valid JSON) leaves that field out of the document and names it in
# `collectionErrors`, keyed by the field's dotted path in the document:
#
#   "collectionErrors": {
#     "supplementaryConfiguration.policy": {
#       "operation": "GetPolicy", "code": "AccessDeniedException", "message": "..."
#     }
#   }
#
# A rule that reads such a field must not judge the resource without it: it declares
# `error contains reason if { some reason in document.unreadable({"supplementaryConfiguration.policy"}) }`
# and vigil reports the rule as `error` for that resource (with the reason), not `pass`.
package vigil.lib.document

import rego.v1

errors := e if {
	e := input.resource.collectionErrors
	is_object(e)
} else := {}

# A collected field path matches a wanted path when it is that path or lies below it
# (`supplementaryConfiguration.qualifierPolicies.live` is part of
# `supplementaryConfiguration.qualifierPolicies`).
covers(wanted, field) if field == wanted

covers(wanted, field) if startswith(field, concat("", [wanted, "."]))

# The reasons why any of `paths` (a set or array of dotted field paths) could not be read.
unreadable(paths) := {reason |
	some field, e in errors
	some wanted in paths
	covers(wanted, field)
	reason := sprintf("%s could not be read: %s failed with %s: %s", [
		field,
		object.get(e, "operation", "(unknown operation)"),
		object.get(e, "code", "(unknown code)"),
		object.get(e, "message", ""),
	])
}
