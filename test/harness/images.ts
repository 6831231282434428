// The locally built service images of the Docker target's tests (scripts/images.sh): the official images are
// out of reach here, so these stand in for them, passed to stacks through `target.docker.images`.
import { execFile } from "node:child_process";
import { join } from "node:path";
import type { ServiceName } from "../../model/spec";

const imagesScript = join(__dirname, "..", "..", "scripts", "images.sh");

/** Image reference per service; fails (saying what to run) when an image of the current recipe is not built. */
export function testImages(): Promise<Record<ServiceName, string>> {
  return new Promise((resolve, reject) =>
    execFile("bash", [imagesScript, "tags"], (error, stdout, stderr) => {
      if (error) return reject(new Error(`the test images are not built (run \`bash scripts/setup.sh --tests\` or \`bash scripts/images.sh build\`): ${stderr.trim()}`));
      resolve(JSON.parse(stdout) as Record<ServiceName, string>);
    }),
  );
}
