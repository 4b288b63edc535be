import { spawn, spawnSync } from 'node:child_process';
import { lstat, mkdir, mkdtemp, readFile, readdir, readlink, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import type { LayerItem } from './image-builder.js';

/**
 * Package trees made by the ecosystems' own tools, for images the tests push: an RPM
 * database by `rpmbuild` and `rpm -i --justdb`, a `node_modules` tree and lock file by
 * `npm install`, a `site-packages` by `pip install --target`.
 */

export function toolWorks(command: string, args: readonly string[] = ['--version']): boolean {
  return spawnSync(command, args, { stdio: 'ignore' }).status === 0;
}

/** Says loudly why a suite does not run, for test files and benchmarks to call. */
export function warnToolMissing(tool: string, install: string, what: string): void {
  console.warn(`SKIPPED: ${tool} not installed (${install}); ${what} did not run`);
}

function run(command: string, args: readonly string[], cwd: string, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-8000)));
    child.stderr.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-8000)));
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve(output) : reject(new Error(`${command} ${args.join(' ')} exited with ${code}:\n${output}`))));
  });
}

async function withTempDir<T>(prefix: string, fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  try {
    return await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export interface RpmSpec {
  name: string;
  epoch?: number;
  version: string;
  release: string;
  /** Binary packages built from the same source besides `name` itself. */
  subpackages?: string[];
  /** Files each binary package installs (they end up in its header's file lists). */
  filesPerPackage?: number;
  /** Further files the main package installs, by absolute path: lines of plain text (no quotes). */
  installs?: { path: string; lines: string[] }[];
}

function specText(spec: RpmSpec): string {
  const packages = [null, ...(spec.subpackages ?? [])];
  const files = spec.filesPerPackage ?? 0;
  const dirOf = (sub: string | null): string => `/usr/share/${sub ?? spec.name}`;
  const lines = [
    `Name: ${spec.name}`,
    ...(spec.epoch === undefined ? [] : [`Epoch: ${spec.epoch}`]),
    `Version: ${spec.version}`,
    `Release: ${spec.release}`,
    'Summary: test package',
    'License: MIT',
    'BuildArch: noarch',
    '%description',
    'A package built for a test image.',
  ];
  for (const sub of spec.subpackages ?? []) lines.push(`%package -n ${sub}`, `Summary: ${sub}`, `%description -n ${sub}`, 'A subpackage built for a test image.');
  lines.push('%install');
  for (const sub of packages) {
    if (files === 0) continue;
    lines.push(`mkdir -p %{buildroot}${dirOf(sub)}`, `for i in $(seq 1 ${files}); do echo "$i" > %{buildroot}${dirOf(sub)}/file-$i.txt; done`);
  }
  for (const file of spec.installs ?? []) {
    lines.push(`mkdir -p %{buildroot}${file.path.slice(0, file.path.lastIndexOf('/'))}`, `: > %{buildroot}${file.path}`);
    for (const line of file.lines) lines.push(`echo '${line}' >> %{buildroot}${file.path}`);
  }
  for (const sub of packages) {
    const owned = sub === null ? (spec.installs ?? []).map((file) => file.path) : [];
    lines.push(sub === null ? '%files' : `%files -n ${sub}`, ...(files > 0 ? [dirOf(sub)] : []), ...owned);
  }
  return `${lines.join('\n')}\n`;
}

/**
 * A real rpm SQLite database: each spec built by `rpmbuild`, every package registered with
 * `rpm -i --justdb` into a fresh `rpm --initdb` database. Returns the database file.
 */
export async function buildRpmDatabase(specs: readonly RpmSpec[]): Promise<Buffer> {
  return withTempDir('rpmdb-', async (dir) => {
    const top = join(dir, 'top');
    for (const spec of specs) {
      const specPath = join(dir, `${spec.name}.spec`);
      await writeFile(specPath, specText(spec));
      await run('rpmbuild', ['-bb', '--quiet', '--define', `_topdir ${top}`, '--define', 'debug_package %{nil}', '--define', '_build_id_links none', specPath], dir);
    }
    const rpms = (await readdir(join(top, 'RPMS', 'noarch'))).map((name) => join(top, 'RPMS', 'noarch', name));
    const dbPath = join(dir, 'db');
    await run('rpm', ['--initdb', '--dbpath', dbPath], dir);
    await run('rpm', ['-i', '--justdb', '--nodeps', '--noscripts', '--notriggers', '--ignorearch', '--ignoreos', '--dbpath', dbPath, ...rpms], dir);
    return readFile(join(dbPath, 'rpmdb.sqlite'));
  });
}

export interface DebSpec {
  name: string;
  version: string;
  /** Files the package installs, by path relative to the root. */
  files: Record<string, string>;
}

/**
 * A root filesystem with a real dpkg database: each spec built by `dpkg-deb --build`, all
 * installed by `dpkg --root` into an empty root (status, and an `info/<package>.list` of
 * every path each package installed). Returns the tree as layer items.
 */
export async function dpkgInstallRoot(specs: readonly DebSpec[]): Promise<LayerItem[]> {
  return withTempDir('dpkg-root-', async (dir) => {
    const root = join(dir, 'root');
    await mkdir(join(root, 'var/lib/dpkg/info'), { recursive: true });
    await mkdir(join(root, 'var/lib/dpkg/updates'), { recursive: true });
    await writeFile(join(root, 'var/lib/dpkg/status'), '');
    const debs: string[] = [];
    for (const spec of specs) {
      const tree = join(dir, spec.name);
      await mkdir(join(tree, 'DEBIAN'), { recursive: true });
      await writeFile(join(tree, 'DEBIAN/control'), `Package: ${spec.name}\nVersion: ${spec.version}\nArchitecture: all\nMaintainer: Test <test@example.org>\nDescription: built for a test image\n`);
      for (const [path, content] of Object.entries(spec.files)) {
        await mkdir(join(tree, path, '..'), { recursive: true });
        await writeFile(join(tree, path), content);
      }
      const deb = join(dir, `${spec.name}.deb`);
      await run('dpkg-deb', ['--build', '--root-owner-group', tree, deb], dir);
      debs.push(deb);
    }
    await run('dpkg', [`--root=${root}`, '--force-not-root', '--force-script-chrootless', '--no-triggers', '--log=/dev/null', '-i', ...debs], dir);
    for (const lock of ['var/lib/dpkg/lock', 'var/lib/dpkg/lock-frontend', 'var/lib/dpkg/triggers']) await rm(join(root, lock), { recursive: true, force: true });
    return layerItemsOf(root, '.').then((items) => items.map((item) => ({ ...item, path: item.path.replace(/^\.\//, '') })));
  });
}

export interface NpmTree {
  /** `package.json`, `package-lock.json` (as npm wrote it) and all of `node_modules`, under `prefix`. */
  items: LayerItem[];
  /** The same project's lock file rewritten by npm as lockfileVersion 1, 2 and 3. */
  locks: Record<1 | 2 | 3, string>;
}

/** `npm install` of exact versions from the registry into a fresh project. */
export async function installNpmTree(packages: readonly string[], prefix: string): Promise<NpmTree> {
  return withTempDir('npm-tree-', async (dir) => {
    const env = { ...process.env, npm_config_update_notifier: 'false', npm_config_fund: 'false', npm_config_audit: 'false' };
    await writeFile(join(dir, 'package.json'), JSON.stringify({ name: 'test-app', version: '1.0.0', private: true }, null, 2));
    await run('npm', ['install', '--ignore-scripts', '--save-exact', ...packages], dir, env);
    const items = await layerItemsOf(dir, prefix);
    const locks = { 3: await readFile(join(dir, 'package-lock.json'), 'utf8') } as Record<1 | 2 | 3, string>;
    const rewrite = async (version: 1 | 2): Promise<void> => {
      const copy = join(dir, `v${version}`);
      await mkdir(copy);
      await writeFile(join(copy, 'package.json'), await readFile(join(dir, 'package.json')));
      await writeFile(join(copy, 'package-lock.json'), locks[3]);
      await run('npm', ['install', '--package-lock-only', '--prefer-offline', '--ignore-scripts', `--lockfile-version=${version}`], copy, env);
      locks[version] = await readFile(join(copy, 'package-lock.json'), 'utf8');
    };
    await Promise.all([rewrite(1), rewrite(2)]);
    return { items, locks };
  });
}

export interface PythonDistribution {
  /** The project name as the wheel spells it (`PyYAML`). */
  name: string;
  version: string;
  module: string;
}

// Writes a minimal pure-Python wheel (PEP 427: the module, METADATA, WHEEL, RECORD).
const WHEEL_SCRIPT = `
import base64, hashlib, json, sys, zipfile
out, dists = sys.argv[1], json.loads(sys.argv[2])
def line(path, data):
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{path},sha256={digest},{len(data)}"
for d in dists:
    stem = f"{d['name'].replace('-', '_')}-{d['version']}"
    files = {
        f"{d['module']}/__init__.py": f"__version__ = {d['version']!r}\\n".encode(),
        f"{stem}.dist-info/METADATA": f"Metadata-Version: 2.1\\nName: {d['name']}\\nVersion: {d['version']}\\nSummary: built for a test image\\n\\nA stand-in distribution.\\n".encode(),
        f"{stem}.dist-info/WHEEL": b"Wheel-Version: 1.0\\nGenerator: test\\nRoot-Is-Purelib: true\\nTag: py3-none-any\\n",
    }
    record = "\\n".join(line(p, data) for p, data in files.items()) + f"\\n{stem}.dist-info/RECORD,,\\n"
    with zipfile.ZipFile(f"{out}/{stem}-py3-none-any.whl", "w") as wheel:
        for p, data in files.items():
            wheel.writestr(p, data)
        wheel.writestr(f"{stem}.dist-info/RECORD", record)
`;

export function pipWorks(): boolean {
  return toolWorks('python3', ['-m', 'pip', '--version']);
}

/**
 * Wheels built here (no index is reachable) for the given distributions, installed by
 * pip itself with `pip install --target`: the dist-info directories are pip's.
 */
export async function pipInstallTarget(dists: readonly PythonDistribution[], prefix: string): Promise<LayerItem[]> {
  return withTempDir('site-packages-', async (dir) => {
    const wheels = join(dir, 'wheels');
    const target = join(dir, 'target');
    await mkdir(wheels);
    await run('python3', ['-c', WHEEL_SCRIPT, wheels, JSON.stringify(dists)], dir);
    const files = (await readdir(wheels)).map((name) => join(wheels, name));
    await run('python3', ['-m', 'pip', 'install', '--no-deps', '--no-index', '--no-compile', '--no-cache-dir', '--disable-pip-version-check', '--target', target, ...files], dir, {
      ...process.env,
      PIP_NO_INPUT: '1',
      PIP_ROOT_USER_ACTION: 'ignore',
    });
    return layerItemsOf(target, prefix);
  });
}

/** Every file, symlink and directory under `dir`, as layer items named `prefix/…`. */
export async function layerItemsOf(dir: string, prefix: string): Promise<LayerItem[]> {
  const items: LayerItem[] = [];
  const entries = (await readdir(dir, { recursive: true })).sort();
  for (const entry of entries) {
    const full = join(dir, entry);
    const path = `${prefix}/${relative(dir, full)}`;
    const stat = await lstat(full);
    if (stat.isSymbolicLink()) items.push({ path, symlink: await readlink(full) });
    else if (stat.isDirectory()) items.push({ path, directory: true });
    else if (stat.isFile()) items.push({ path, content: await readFile(full) });
  }
  return items;
}
