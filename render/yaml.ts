/**
 * The one YAML dump helper every rendered YAML file goes through, so all of them are formatted alike
 * and re-render byte-identically.
 */
import yaml from "js-yaml";

/**
 * `value` as a YAML document ending in "\n". Keys keep the order they were written in (renderers
 * order them deliberately, as the upstream docs do); long lines are never folded, so PromQL and
 * templates stay on one line; no anchors or aliases; double quotes where quoting is needed.
 */
export function toYaml(value: unknown): string {
  return yaml.dump(value, { sortKeys: false, lineWidth: -1, noRefs: true, quotingType: '"' });
}
