# Swagger 2.0 (what `goctl api swagger` writes) to OpenAPI 3.0 (what oasdiff reads), for the parts goctl
# emits: definitions -> components.schemas (and their $refs), body and formData parameters -> requestBody,
# other parameters' types -> schema, response schemas -> content. Managed by winyx-monitoring (Pulumi).
def ref:
  if type == "object" then with_entries(if .key == "$ref" and (.value | type) == "string" then .value |= sub("^#/definitions/"; "#/components/schemas/") else .value |= ref end)
  elif type == "array" then map(ref)
  else . end;
def compact: with_entries(select(.value != null));
def param_schema: {type, format, items, enum, default, minimum, maximum, pattern} | compact;
(.consumes // ["application/json"]) as $consumes
| (.produces // ["application/json"]) as $produces
| {
    openapi: "3.0.3",
    info: ({title: "api", version: "1.0"} + (.info // {})),
    paths: ((.paths // {}) | map_values(with_entries(select(.key | test("^(get|put|post|delete|options|head|patch)$")) | .value |= (
      . as $op
      | ($op.consumes // $consumes) as $c
      | ($op.produces // $produces) as $p
      | ([$op.parameters[]? | select(.in == "formData")]) as $form
      | ({summary, operationId, description, tags, deprecated} | compact)
      + ([$op.parameters[]? | select(.in != "body" and .in != "formData") | {name, in, required, description, schema: param_schema} | compact]
         | if length > 0 then {parameters: .} else {} end)
      + ([$op.parameters[]? | select(.in == "body")] | if length > 0 then {requestBody: {required: (.[0].required // false), content: {($c[0]): {schema: .[0].schema}}}} else {} end)
      + (if ($form | length) > 0 then {requestBody: {content: {"application/x-www-form-urlencoded": {schema: ({type: "object", properties: ($form | map({(.name): param_schema}) | add)}
           + ([$form[] | select(.required == true) | .name] | if length > 0 then {required: .} else {} end))}}}} else {} end)
      + {responses: (($op.responses // {}) | map_values({description: (.description // "")} + (if .schema then {content: {($p[0]): {schema: .schema}}} else {} end)))}
    )))),
    components: {schemas: (.definitions // {})}
  }
| ref
