/**
 * The contract pipeline's host files (model/contractPipeline.ts): the program, its hardened unit, its
 * user (sysusers.d) and its files outside its state folder (tmpfiles.d: the two logs; the unit links its metrics file into the textfile folder).
 *
 * The program replaces the chapter's monitor_contracts.sh, monitor_generation.go and
 * check_breaking_changes.sh. On every change under the contracts folder (inotify) it counts
 * `contract_file_changes_total{service,file_type,event}`; for a written `.api`/`.proto` it then
 * - validates it: `goctl api validate` / `buf build` (`contract_validation_total{service,file_type,result}`),
 * - compares it with the last accepted version of the same file, kept in its state folder (`.proto`:
 *   `buf breaking`; `.api`: `oasdiff breaking --fail-on ERR` on the OpenAPI of both, which goctl writes
 *   as Swagger 2.0 and a jq program converts to the OpenAPI 3 oasdiff reads); what broke goes to /var/log/winyx/breaking-changes.log and
 *   `api_breaking_changes_detected{service}` is 1 while any file of the service is breaking against
 *   its accepted version. A compatible version becomes the accepted one; a breaking one does not, until
 *   it is accepted by hand (`winyx-contract-pipeline accept <file>`) or changed back,
 * - runs the configured regeneration command (`<command> <service> <file>`), timed
 *   (`goctl_generation_total{service,type,status}`, `goctl_generation_duration_seconds{service,type}`).
 * On start it takes files it has no accepted version of as the baseline, and checks files changed
 * while it was stopped. Counters survive restarts (kept in the state folder). The metrics file is
 * written to a temporary file and renamed, so the collector never reads half of it.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { contractPipeline } from "../model/contractPipeline";
import type { StackSpec } from "../model/spec";
import { hardeningLines, hostPaths, offlineStrictHardeningLines, renderSysusers, renderUnit, sysusersPath } from "./systemd";

export const contractPipelinePaths = {
  program: `${hostPaths.winyxLibexec}/winyx-contract-pipeline`,
  unit: `/etc/systemd/system/${contractPipeline.unit}`,
  sysusers: sysusersPath(contractPipeline.user),
  tmpfiles: "/etc/tmpfiles.d/winyx-contracts.conf",
  /** jq program: Swagger 2.0 to OpenAPI 3.0 (render/contracts/swagger2openapi.jq). */
  converter: `${hostPaths.winyxLibexec}/swagger2openapi.jq`,
} as const;

/** Buckets of goctl_generation_duration_seconds: client_golang's DefBuckets, as the chapter's monitor used. */
export const generationBuckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] as const;

function shellWord(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** The pipeline program (bash), with the stack's folder, checks and commands. */
export function renderContractPipelineProgram(spec: StackSpec): string {
  const c = spec.contracts;
  return `#!/bin/bash
# Winyx contract pipeline: managed by winyx-monitoring (Pulumi); edits are reverted on the next \`pulumi up\`.
# Usage: winyx-contract-pipeline            watch the contracts folder (the service)
#        winyx-contract-pipeline accept FILE take FILE's current version as accepted (after a breaking change)
set -uo pipefail

watch_dir=${shellWord(c.watchDir)}
checks=${c.checks ? 1 : 0}
regenerate_api=${shellWord(c.regenerate.api ?? "")}
regenerate_proto=${shellWord(c.regenerate.proto ?? "")}
state=${shellWord(contractPipeline.stateDir)}
metrics=${shellWord(contractPipeline.metricsFile)}
change_log=${shellWord(contractPipeline.changeLog)}
breaking_log=${shellWord(contractPipeline.breakingLog)}
converter=${shellWord(contractPipelinePaths.converter)}
buckets=(${generationBuckets.join(" ")})
accepted=$state/accepted
counters=$state/counters
export HOME=$state BUF_CACHE_DIR=\${CACHE_DIRECTORY:-$state/cache}
mkdir -p "$accepted" "$state/breaking" "$BUF_CACHE_DIR"

# Series name{labels} -> value. Integer counters and 0/1 gauges in count, the duration sums (seconds) in sums.
declare -A count sums pairs
if [ -f "$counters" ]; then
  while read -r kind series value; do
    if [ "$kind" = s ]; then sums[$series]=$value; else count[$series]=$value; fi
  done <"$counters"
fi

# Label values come from folder and file names: keep them to a safe alphabet.
label() { local v=\${1//[^A-Za-z0-9_.-]/_}; echo "\${v:-none}"; }

# where FILE: sets rel (under the folder), service (its first folder, "none" at the top) and type (extension).
where() {
  rel=\${1#"$watch_dir"/}
  service=none
  [[ "$rel" == */* ]] && service=\${rel%%/*}
  local base=\${1##*/}
  type=none
  [[ "$base" == *.* ]] && type=\${base##*.}
  service=$(label "$service")
  type=$(label "$type")
}

inc() { count[$1]=$(( \${count[$1]:-0} + 1 )); }
zero() { count[$1]=\${count[$1]:-0}; }

# ensure SERVICE TYPE: the series of a contract exist from 0, so the first failure is an increase.
ensure() {
  local s=$1 t=$2 r
  pairs["$s|$t"]=1
  for r in success failure; do
    zero "contract_validation_total{service=\\"$s\\",file_type=\\"$t\\",result=\\"$r\\"}"
    zero "goctl_generation_total{service=\\"$s\\",type=\\"$t\\",status=\\"$r\\"}"
  done
  zero "api_breaking_changes_detected{service=\\"$s\\"}"
  zero "contract_file_changes_total{service=\\"$s\\",file_type=\\"$t\\",event=\\"MODIFY\\"}"
}

# observe SERVICE TYPE SECONDS: one generation's duration into the histogram.
observe() {
  local s=$1 t=$2 d=$3 le
  for le in "\${buckets[@]}" +Inf; do
    if [ "$le" = +Inf ] || awk -v d="$d" -v le="$le" 'BEGIN { exit !(d <= le) }'; then
      inc "goctl_generation_duration_seconds_bucket{service=\\"$s\\",type=\\"$t\\",le=\\"$le\\"}"
    fi
  done
  sums["$s|$t"]=$(awk -v a="\${sums["$s|$t"]:-0}" -v d="$d" 'BEGIN { printf "%.6f", a + d }')
}

family() { # NAME TYPE HELP
  echo "# HELP $1 $3"
  echo "# TYPE $1 $2"
  local key
  for key in "\${!count[@]}"; do [[ "$key" == "$1{"* ]] && echo "$key \${count[$key]}"; done | sort
}

write_metrics() {
  local tmp="$metrics.$$.tmp" key s t le k
  {
    family contract_file_changes_total counter "Contract file changes seen under the contracts folder."
    family contract_validation_total counter "Validations of changed contract files (goctl api validate, buf build)."
    family goctl_generation_total counter "Regeneration commands run after a contract change, by outcome."
    family api_breaking_changes_detected gauge "1 while a contract file of the service breaks compatibility with its accepted version (buf breaking, oasdiff breaking)."
    echo "# HELP goctl_generation_duration_seconds How long the regeneration commands ran."
    echo "# TYPE goctl_generation_duration_seconds histogram"
    for key in $(printf '%s\\n' "\${!pairs[@]}" | sort); do
      s=\${key%|*} t=\${key#*|}
      for le in "\${buckets[@]}" +Inf; do
        k="goctl_generation_duration_seconds_bucket{service=\\"$s\\",type=\\"$t\\",le=\\"$le\\"}"
        echo "$k \${count[$k]:-0}"
      done
      echo "goctl_generation_duration_seconds_sum{service=\\"$s\\",type=\\"$t\\"} \${sums["$s|$t"]:-0}"
      echo "goctl_generation_duration_seconds_count{service=\\"$s\\",type=\\"$t\\"} \${count[$k]:-0}"
    done
  } >"$tmp" && chmod 0644 "$tmp" && mv -f "$tmp" "$metrics"
  {
    for key in "\${!count[@]}"; do echo "c $key \${count[$key]}"; done
    for key in "\${!sums[@]}"; do echo "s $key \${sums[$key]}"; done
  } >"$counters.tmp" && mv -f "$counters.tmp" "$counters"
}

log_line() { printf '[%s] %s\\n' "$(date '+%Y-%m-%d %H:%M:%S')" "$2" >>"$1"; }

# single FILE DIR: DIR/<name> holds a copy of FILE alone (buf works on folders).
single() { rm -rf "$2" && mkdir -p "$2" && cp "$1" "$2/\${1##*/}"; }

validate() { # FILE TYPE
  case $2 in
    api) goctl api validate --api "$1" ;;
    proto) local dir; dir=$(mktemp -d) && single "$1" "$dir/new" && buf build "$dir/new" -o /dev/null; local rc=$?; rm -rf "$dir"; return $rc ;;
    *) return 0 ;;
  esac
}

# openapi API OUT: the OpenAPI 3 document of a .api file (goctl writes Swagger 2.0; oasdiff reads OpenAPI 3).
openapi() {
  local dir
  dir=$(mktemp -d)
  goctl api swagger --api "$1" --dir "$dir" --filename spec >/dev/null && jq -f "$converter" "$dir/spec.json" >"$2"
  local rc=$?
  rm -rf "$dir"
  return $rc
}

# breaking FILE TYPE: 0 when FILE breaks its accepted version (what broke on stdout), 1 when compatible or new.
breaking() {
  local old="$accepted/$rel" out rc dir
  [ -f "$old" ] || return 1
  dir=$(mktemp -d)
  case $2 in
    proto)
      single "$1" "$dir/new" && single "$old" "$dir/old"
      out=$(cd "$dir" && buf breaking new --against old 2>&1)
      rc=$?
      ;;
    api)
      if openapi "$old" "$dir/old.json" && openapi "$1" "$dir/new.json"; then
        out=$(oasdiff breaking "$dir/old.json" "$dir/new.json" --fail-on ERR 2>&1)
        rc=$?
      else
        echo "could not generate the OpenAPI of $1 or of its accepted version" >&2
        rc=0
      fi
      ;;
    *) rc=0 ;;
  esac
  rm -rf "$dir"
  [ $rc -eq 0 ] && return 1
  echo "$out"
  return 0
}

accept() { mkdir -p "$(dirname "$accepted/$rel")" && cp "$1" "$accepted/$rel.tmp" && mv -f "$accepted/$rel.tmp" "$accepted/$rel"; }

# The service's gauge: 1 while any of its files is marked breaking.
breaking_gauge() {
  local n=0
  [ -d "$state/breaking/$service" ] && n=$(find "$state/breaking/$service" -type f | wc -l)
  count["api_breaking_changes_detected{service=\\"$service\\"}"]=$(( n > 0 ? 1 : 0 ))
}

regenerate() { # FILE TYPE
  local command
  case $2 in api) command=$regenerate_api ;; proto) command=$regenerate_proto ;; *) return ;; esac
  [ -n "$command" ] || return
  local start=$EPOCHREALTIME status=success
  log_line "$change_log" "Triggering generation for $1: $command $service $1"
  if ! "$command" "$service" "$1"; then status=failure; fi
  local seconds
  seconds=$(awk -v a="\${start/,/.}" -v b="\${EPOCHREALTIME/,/.}" 'BEGIN { printf "%.6f", b - a }')
  inc "goctl_generation_total{service=\\"$service\\",type=\\"$2\\",status=\\"$status\\"}"
  observe "$service" "$2" "$seconds"
  log_line "$change_log" "Generation for $1: $status in \${seconds}s"
}

# check FILE: validate, compare, regenerate (a written .api or .proto).
check() {
  local file=$1 report
  where "$file"
  case $type in api | proto) ;; *) return ;; esac
  [ -f "$file" ] || return
  ensure "$service" "$type"
  [ "$checks" = 1 ] || return
  # What was checked last, so a restart checks only files changed while the pipeline was stopped.
  mkdir -p "$(dirname "$state/checked/$rel")" && cp "$file" "$state/checked/$rel"
  if ! validate "$file" "$type"; then
    inc "contract_validation_total{service=\\"$service\\",file_type=\\"$type\\",result=\\"failure\\"}"
    log_line "$change_log" "Validation failed: $file"
    return
  fi
  inc "contract_validation_total{service=\\"$service\\",file_type=\\"$type\\",result=\\"success\\"}"
  if report=$(breaking "$file" "$type"); then
    mkdir -p "$(dirname "$state/breaking/$service/\${rel#*/}")" && touch "$state/breaking/$service/\${rel#*/}"
    { log_line "$breaking_log" "[$service] Breaking changes detected in $file against its accepted version:"; echo "$report"; } >>"$breaking_log"
  else
    [ -f "$accepted/$rel" ] && log_line "$breaking_log" "[$service] No breaking changes detected in $file"
    rm -f "$state/breaking/$service/\${rel#*/}"
    accept "$file"
  fi
  breaking_gauge
  regenerate "$file" "$type"
}

if [ "\${1:-}" = accept ]; then
  file=$(realpath -m "\${2:?usage: winyx-contract-pipeline accept FILE}")
  where "$file"
  accept "$file" && rm -f "$state/breaking/$service/\${rel#*/}"
  echo "accepted $file; the pipeline's gauge follows on its next change or restart"
  exit 0
fi

write_metrics
until [ -d "$watch_dir" ]; do
  echo "waiting for $watch_dir to exist" >&2
  sleep 30
done

# Start: files without an accepted version are the baseline; files changed while stopped are checked.
while IFS= read -r -d '' file; do
  where "$file"
  ensure "$service" "$type"
  if [ ! -f "$accepted/$rel" ]; then
    if [ "$checks" = 0 ] || validate "$file" "$type" >/dev/null 2>&1; then accept "$file"; fi
  elif ! cmp -s "$file" "$accepted/$rel" && ! cmp -s "$file" "$state/checked/$rel"; then
    check "$file"
  fi
  breaking_gauge
done < <(find "$watch_dir" -type f \\( -name '*.api' -o -name '*.proto' \\) -print0 | sort -z)
write_metrics
echo "watching $watch_dir (checks: $checks)" >&2

while IFS='|' read -r events file; do
  case ",$events," in *,ISDIR,*) continue ;; esac
  where "$file"
  event=\${events%%,*}
  [ "$event" = CLOSE_WRITE ] && event=MODIFY
  inc "contract_file_changes_total{service=\\"$service\\",file_type=\\"$type\\",event=\\"$(label "$event")\\"}"
  log_line "$change_log" "Contract file $event: $file"
  case $event in MODIFY | MOVED_TO) check "$file" ;; esac
  write_metrics
done < <(inotifywait -m -r -q -e close_write,create,delete,moved_to,moved_from --format '%e|%w%f' "$watch_dir")
echo "inotifywait stopped" >&2
exit 1
`;
}

/**
 * The pipeline's hardening: the common set plus the strict one (exposure at most 2.0, like the services),
 * with no network at all (inotifywait, goctl, buf and oasdiff read and write local files only; buf's remote
 * modules are not used). Not set, and why: PrivateUsers= (the regeneration commands write into the
 * team's source folders, often through a group the pipeline's user is in, which a private user
 * namespace maps to nobody), UMask=0027 (regenerated code must stay readable by the team's builds).
 */
function contractPipelineHardeningLines(spec: StackSpec): string[] {
  return [
    ...hardeningLines({ readWritePaths: [contractPipeline.changeLog, contractPipeline.breakingLog, ...spec.contracts.readWritePaths], privateNetwork: true }),
    "# Strict hardening (see render/contractPipeline.ts contractPipelineHardeningLines for what is left out and why).",
    ...offlineStrictHardeningLines("AF_UNIX"),
  ];
}

/** The pipeline's unit: its own user, journald, written paths limited to its state, its logs, the regeneration paths. */
export function renderContractPipelineUnit(spec: StackSpec): string {
  const textfileLink = `${hostPaths.textfileDir}/${contractPipeline.textfileLink}`;
  return renderUnit({
    description: "Winyx contract pipeline (validation, breaking changes, regeneration)",
    after: ["local-fs.target", "systemd-tmpfiles-setup.service"],
    service: [
      "Type=simple",
      `User=${contractPipeline.user}`,
      `Group=${contractPipeline.user}`,
      // The textfile folder is root's (Debian's): root links the pipeline's metrics file into it while the
      // pipeline runs ("+": without the sandbox; systemd-tmpfiles refuses the path, /var/lib/prometheus
      // being the prometheus user's).
      `ExecStartPre=+/bin/ln -sfn ${contractPipeline.metricsFile} ${textfileLink}`,
      `ExecStart=${contractPipelinePaths.program}`,
      `ExecStopPost=+/bin/rm -f ${textfileLink}`,
      "Restart=always",
      "RestartSec=5",
      "StandardOutput=journal",
      "StandardError=journal",
      "SyslogIdentifier=winyx-contract-pipeline",
      `StateDirectory=${contractPipeline.stateDir.replace(/^\/var\/lib\//, "")}`,
      "CacheDirectory=winyx-contracts",
      "Environment=PATH=/usr/local/bin:/usr/bin:/bin",
      ...contractPipelineHardeningLines(spec),
    ],
  });
}

/** The logs, owned by the pipeline's user, 0640 like the other Winyx logs. */
export function renderContractPipelineTmpfiles(): string {
  const u = contractPipeline.user;
  return [
    "# Managed by winyx-monitoring (Pulumi).",
    "d /var/log/winyx 0755 root root -",
    `f ${contractPipeline.changeLog} 0640 ${u} ${u} -`,
    `f ${contractPipeline.breakingLog} 0640 ${u} ${u} -`,
    "",
  ].join("\n");
}

/** Every host file of the pipeline, by host path. */
export function renderContractPipelineFiles(spec: StackSpec): Record<string, string> {
  return {
    [contractPipelinePaths.program]: renderContractPipelineProgram(spec),
    [contractPipelinePaths.unit]: renderContractPipelineUnit(spec),
    [contractPipelinePaths.sysusers]: renderSysusers(contractPipeline.user, "Winyx contract pipeline"),
    [contractPipelinePaths.tmpfiles]: renderContractPipelineTmpfiles(),
    [contractPipelinePaths.converter]: readFileSync(join(__dirname, "contracts", "swagger2openapi.jq"), "utf8"),
  };
}
