#!/usr/bin/env node
// Packs the npm packages users install without a Rust toolchain, in napi-rs's per-platform
// layout: `ferrotrace` (the TypeScript facade and the build-from-source fallback) with an optional
// dependency on `ferrotrace-linux-x64-gnu` (the prebuilt addon). Staged in a copy so the source
// package.json keeps no optional dependency (a local-folder install builds from source).
//
//   node scripts/pack.js OUT_DIR [ADDON]    ADDON: the built library (default: cargo's release output)
"use strict";
const { execFileSync } = require("node:child_process");
const fs = require("node:fs");
const path = require("node:path");

const root = path.join(__dirname, "..");
const out = path.resolve(process.argv[2] || "dist");
const addon = path.resolve(process.argv[3] || path.join(root, "..", "target", "x86_64-unknown-linux-gnu", "release", "libferrotrace_node.so"));
const PLATFORM = "linux-x64-gnu";
const pkg = JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8"));
const platformName = `${pkg.name}-${PLATFORM}`;
const stage = fs.mkdtempSync(path.join(require("node:os").tmpdir(), "ferrotrace-pack-"));

function pack(dir) {
  const name = execFileSync("npm", ["pack", "--silent", "--pack-destination", out], { cwd: dir, encoding: "utf8" }).trim().split("\n").at(-1);
  console.log(path.join(out, name));
}

try {
  fs.mkdirSync(out, { recursive: true });
  // The platform package: the addon file and where it runs.
  const plat = path.join(stage, platformName);
  fs.mkdirSync(plat);
  const file = `ferrotrace.${PLATFORM}.node`;
  fs.copyFileSync(addon, path.join(plat, file));
  fs.writeFileSync(path.join(plat, "package.json"), JSON.stringify({
    name: platformName, version: pkg.version, description: `The ${PLATFORM} native addon of ${pkg.name}.`,
    license: pkg.license, main: file, files: [file], os: ["linux"], cpu: ["x64"], libc: ["glibc"],
  }, null, 2));
  pack(plat);

  // The main package: what users import, plus the fallback build script.
  const main = path.join(stage, pkg.name);
  fs.mkdirSync(main);
  fs.cpSync(path.join(root, "dist"), path.join(main, "dist"), { recursive: true });
  fs.mkdirSync(path.join(main, "scripts"));
  for (const f of ["build.js", "cli.js"]) fs.copyFileSync(path.join(root, "scripts", f), path.join(main, "scripts", f));
  fs.copyFileSync(path.join(root, "README.md"), path.join(main, "README.md"));
  const staged = { ...pkg, files: ["dist", "scripts/build.js", "scripts/cli.js", "README.md"], optionalDependencies: { [platformName]: pkg.version } };
  delete staged.devDependencies;
  fs.writeFileSync(path.join(main, "package.json"), JSON.stringify(staged, null, 2));
  pack(main);
} finally {
  fs.rmSync(stage, { recursive: true, force: true });
}
