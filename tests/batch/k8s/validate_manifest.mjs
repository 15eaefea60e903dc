// The manifest `splatscape batch --runner k8s --emit DIR` writes, checked without a cluster:
//   1. it parses as YAML (every document);
//   2. each object passes the Kubernetes API schema (kubernetes-models: types, formats, enums,
//      required fields of batch/v1 Job and v1 ConfigMap);
//   3. every field name exists in the API's type declarations (the schema check alone lets unknown
//      fields through; a misspelt field would be dropped silently by a cluster);
//   4. it is the Indexed Job asked for: one completion per job, GPUs, parallelism, the job script
//      mounted from the ConfigMap and valid bash.
// Then it shows that checks 2 and 3 fail on a broken manifest. Usage:
//   node validate_manifest.mjs --bin build/splatscape --out DIR
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const args = Object.fromEntries(
    process.argv.slice(2).reduce((acc, a, i, all) => (a.startsWith('--') ? [...acc, [a.slice(2), all[i + 1]]] : acc), []));
if (!args.bin || !args.out) {
    console.error('usage: node validate_manifest.mjs --bin SPLATSCAPE --out DIR');
    process.exit(2);
}

// kubernetes-models and yaml from npm, installed on first use from the lock file.
if (!fs.existsSync(path.join(here, 'node_modules', 'kubernetes-models'))) {
    const r = spawnSync('npm', ['ci', '--no-audit', '--no-fund'], { cwd: here, stdio: 'inherit' });
    if (r.status !== 0) {
        console.error('npm ci failed in tests/batch/k8s');
        process.exit(1);
    }
}
const { parseAllDocuments } = await import('yaml');
const { Job } = await import('kubernetes-models/batch/v1/Job');
const { ConfigMap } = await import('kubernetes-models/v1/ConfigMap');
const models = { 'batch/v1 Job': [Job, 'kubernetes-models/batch/v1/Job.d.ts'], 'v1 ConfigMap': [ConfigMap, 'kubernetes-models/v1/ConfigMap.d.ts'] };

let passed = 0, failed = 0;
function check(name, ok, detail = '') {
    if (ok) passed++;
    else failed++;
    console.log(`${ok ? 'ok  ' : 'FAIL'} ${name}${!ok && detail ? `\n     ${detail}` : ''}`);
}

// ---- field names from the type declarations ----------------------------------------------------
const modules = path.join(here, 'node_modules');
const interfaces = new Map(); // d.ts file -> { props: Map(name -> type text), imports: Map(type -> file) }

function resolveImport(from, spec) {
    const base = spec.startsWith('.') ? path.resolve(path.dirname(from), spec) : path.join(modules, spec);
    return base.replace(/\.js$/, '') + '.d.ts';
}

function readInterface(file) {
    if (interfaces.has(file)) return interfaces.get(file);
    const text = fs.readFileSync(file, 'utf8');
    const imports = new Map();
    for (const m of text.matchAll(/^import \{ ([^}]+) \} from "([^"]+)";$/gm))
        for (const name of m[1].split(',').map((s) => s.trim())) imports.set(name, resolveImport(file, m[2]));
    const start = text.search(/^export interface I\w+( extends [\w, ]+)? \{$/m);
    if (start < 0) throw new Error(`no interface in ${file}`);
    const body = text.slice(start, text.indexOf('\n}\n', start));
    const props = new Map();
    // Top-level properties are indented by four spaces; a "{" type runs to its closing "};".
    const lines = body.split('\n');
    for (let i = 0; i < lines.length; i++) {
        const m = lines[i].match(/^ {4}"([^"]+)"\??: (.*)$/);
        if (!m) continue;
        let type = m[2];
        if (type === '{') {
            const block = [];
            while (++i < lines.length && !/^ {4}\};$/.test(lines[i])) block.push(lines[i]);
            type = block.join(' ').includes('[key: string]') ? '{map}' : '{object}';
        }
        props.set(m[1], type.replace(/;$/, ''));
    }
    const entry = { props, imports };
    interfaces.set(file, entry);
    return entry;
}

// Unknown field names anywhere under `value`, as paths.
function unknownFields(value, file, at, out) {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return out;
    const { props, imports } = readInterface(file);
    for (const [key, v] of Object.entries(value)) {
        const where = `${at}.${key}`;
        if (!props.has(key)) {
            out.push(where);
            continue;
        }
        const type = props.get(key);
        const inner = type.match(/^Array<(\w+)>$/)?.[1] ?? type.match(/^(\w+)\[\]$/)?.[1] ?? type;
        if (!imports.has(inner)) continue; // a scalar, a map, or a type without fields of its own
        const sub = imports.get(inner);
        if (!fs.existsSync(sub)) continue;
        if (Array.isArray(v)) v.forEach((item, i) => unknownFields(item, sub, `${where}[${i}]`, out));
        else unknownFields(v, sub, where, out);
    }
    return out;
}

function validate(doc) {
    const key = `${doc.apiVersion} ${doc.kind}`;
    if (!models[key]) return [`unexpected object ${key}`];
    const [Model, dts] = models[key];
    const errors = [];
    try {
        new Model(structuredClone(doc)).validate();
    } catch (e) {
        errors.push(`schema: ${e.message}`);
    }
    for (const f of unknownFields(doc, path.join(modules, dts), key, [])) errors.push(`unknown field ${f}`);
    return errors;
}

// ---- the manifest of a batch of three jobs ------------------------------------------------------
const out = path.resolve(args.out);
fs.rmSync(out, { recursive: true, force: true });
for (const d of ['scans/north', 'scans/south', 'scans/east']) fs.mkdirSync(path.join(out, d), { recursive: true });
fs.writeFileSync(path.join(out, 'jobs.json'), JSON.stringify({
    name: 'Scans',
    defaults: { iters: 30000, config: { sh_degree: 3 } },
    jobs: [{ data: 'scans/*', output: 'runs/{name}' }],
}));
const emit = spawnSync(args.bin, ['batch', path.join(out, 'jobs.json'), '--runner', 'k8s', '--emit', path.join(out, 'k8s'),
    '--gpus-per-task', '1', '--cpus-per-task', '8', '--mem', '32Gi', '--parallel', '2', '--volume', 'scans:/data',
    '--image', 'registry.example/splatscape:0.1'], { encoding: 'utf8' });
check('splatscape batch --runner k8s --emit exits 0', emit.status === 0, emit.stderr + emit.stdout);
const text = fs.readFileSync(path.join(out, 'k8s', 'job.yaml'), 'utf8');
const parsed = parseAllDocuments(text);
const docs = parsed.map((d) => d.toJS());
check('the manifest parses as YAML', parsed.every((d) => d.errors.length === 0),
    parsed.flatMap((d) => d.errors.map((e) => e.message)).join('; '));
check('two documents: a ConfigMap and a Job', docs.length === 2 && docs[0].kind === 'ConfigMap' && docs[1].kind === 'Job');
const [cm, job] = docs;
for (const doc of docs) {
    const errors = validate(doc);
    check(`${doc.kind} passes the API schema and names only known fields`, errors.length === 0, errors.join('; '));
}

const spec = job.spec, pod = spec.template.spec, c = pod.containers[0];
check('Indexed, one completion per job', spec.completionMode === 'Indexed' && spec.completions === 3);
check('parallelism 2', spec.parallelism === 2);
check('a failed job is retried alone (backoffLimitPerIndex, restartPolicy Never)',
    spec.backoffLimitPerIndex > 0 && pod.restartPolicy === 'Never');
check('one GPU per pod, as a limit', c.resources?.limits?.['nvidia.com/gpu'] === '1');
check('cpu and memory requests', c.resources?.requests?.cpu === '8' && c.resources?.requests?.memory === '32Gi');
check('the image', c.image === 'registry.example/splatscape:0.1');
const jobsVolume = pod.volumes.find((v) => v.configMap);
check('the script comes from the ConfigMap', jobsVolume?.configMap?.name === cm.metadata.name &&
    c.volumeMounts.some((m) => m.name === jobsVolume.name && c.command.join(' ').includes(m.mountPath)));
check('the data claim is mounted', pod.volumes.some((v) => v.persistentVolumeClaim?.claimName === 'scans') &&
    c.volumeMounts.some((m) => m.mountPath === '/data'));
const script = cm.data['run.sh'];
check('the script selects jobs 0..2 by JOB_COMPLETION_INDEX',
    script.includes('JOB_COMPLETION_INDEX') && [0, 1, 2].every((i) => script.includes(`\n${i})\n`)) &&
    ['north', 'south', 'east'].every((n) => script.includes(`runs/${n}`)));
check('the inline model settings travel in the ConfigMap',
    ['north', 'south', 'east'].every((n) => JSON.parse(cm.data[`config.${n}.json`] ?? '{}').sh_degree === 3 &&
        script.includes(`--config /etc/splatscape/config.${n}.json`)));
const bash = spawnSync('bash', ['-n'], { input: script, encoding: 'utf8' });
check('the script is valid bash', bash.status === 0, bash.stderr);

// ---- the checks can fail -----------------------------------------------------------------------
const wrongType = structuredClone(job);
wrongType.spec.completions = 'three';
check('a wrong type is caught by the schema', validate(wrongType).some((e) => e.startsWith('schema')));
const badEnum = structuredClone(job);
badEnum.spec.completionMode = 'Indexd';
check('a wrong enum value is caught by the schema', validate(badEnum).some((e) => e.startsWith('schema')));
const typo = structuredClone(job);
typo.spec.template.spec.containers[0].resource = typo.spec.template.spec.containers[0].resources;
check('a misspelt nested field is caught', validate(typo).includes('unknown field batch/v1 Job.spec.template.spec.containers[0].resource'));

console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
