// Every line a client sends the engine, checked before anything acts on it:
// a request, an attached session's input, a control command. One bad client
// gets an error naming what is wrong; the engine and every other client go
// on. The schemas are typed against the protocol's own types, so the two
// cannot drift apart.

import { z } from 'zod';
import { TRACE_KINDS } from '../inspect/trace.ts';
import type { ControlCommand } from '../inspect/control-session.ts';
import type { AttachInput, EngineRequest } from './protocol.ts';
import { VOLUME_NAME } from '../containers/engine/volumes.ts';

export class RequestError extends Error {
  override name = 'RequestError';
}

const u32 = z.number().int().min(0).max(0xffff_ffff);
const windowSize = z.object({ rows: z.number().int().min(1).max(0xffff), cols: z.number().int().min(1).max(0xffff) }).strict();
const ref = z.string().min(1).max(256);
const args = z.array(z.string().max(1 << 16)).max(4096);
/** Docker's rule for container names. */
const containerName = z.string().regex(/^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,127}$/, 'a container name starts with a letter or digit and holds only letters, digits, "_", "." and "-"');
/** The least memory a container can start with (Docker's floor is 6 MiB). */
const MIN_MEMORY = 4 << 20;

/** A path in a container, absolute or from its root (as Docker's cp takes it). */
const containerPath = z
  .string()
  .min(1)
  .max(4096)
  .regex(/^[^\0]*$/, 'a path holds no NUL byte');

const volumeName = z.string().regex(VOLUME_NAME, 'a volume name is 2 to 128 letters, digits, "_", "." and "-", starting with a letter or digit');

const workdir = z
  .string()
  .regex(/^\/[^\0]*$/, 'the working directory must be an absolute path')
  .max(4096);

const env = z.array(z.string().regex(/^[^=\0]+=[^\0]*$/, 'an environment entry is KEY=VALUE')).max(4096);

const runOptions = z
  .object({
    name: containerName.optional(),
    hostname: z
      .string()
      .regex(/^[a-zA-Z0-9]([a-zA-Z0-9.-]{0,62})$/, 'a hostname holds letters, digits, "." and "-" (at most 63)')
      .optional(),
    env: env.optional(),
    workdir: workdir.optional(),
    memory: z
      .number()
      .int()
      .min(MIN_MEMORY, `the memory limit must be at least ${MIN_MEMORY >> 20} MiB`)
      .max(2 ** 40)
      .optional(),
    pidsLimit: z
      .number()
      .int()
      .min(1)
      .max(1 << 22)
      .optional(),
    cpus: z.number().min(0.01).max(64).optional(),
    network: z
      .string()
      .regex(/^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,63}$/, 'a network is host, none or the name of one')
      .optional(),
    publish: z
      .array(
        z
          .object({
            hostIp: z.string().regex(/^\d{1,3}(\.\d{1,3}){3}$/, "a published port's host address is IPv4"),
            hostPort: z.number().int().min(0).max(65535),
            containerPort: z.number().int().min(1).max(65535),
            protocol: z.enum(['tcp', 'udp']),
          })
          .strict(),
      )
      .max(256)
      .optional(),
    publishAll: z.boolean().optional(),
    user: z.string().min(1).max(256).optional(),
    cmd: args.optional(),
    tty: windowSize.optional(),
    detach: z.boolean().optional(),
    rm: z.boolean().optional(),
    entrypoint: z.string().min(1).max(4096).optional(),
    stopSignal: z
      .string()
      .regex(/^[A-Z0-9]{1,16}$/, 'a stop signal is a name such as TERM or a number')
      .optional(),
    stopTimeout: z.number().int().min(0).max(3600).optional(),
    readOnly: z.boolean().optional(),
    tmpfs: z
      .array(
        z
          .string()
          .regex(/^\/[^\0:]*$/, 'a --tmpfs mount point is an absolute path')
          .max(4096),
      )
      .max(64)
      .optional(),
    capAdd: z
      .array(z.string().regex(/^[A-Za-z_]{1,32}$/, 'a capability is a name such as NET_ADMIN'))
      .max(64)
      .optional(),
    capDrop: z
      .array(z.string().regex(/^[A-Za-z_]{1,32}$/, 'a capability is a name such as NET_ADMIN'))
      .max(64)
      .optional(),
    volumes: z
      .array(
        z
          .object({
            name: volumeName,
            destination: z
              .string()
              .regex(/^\/[^\0:]*$/, "a volume's mount point is an absolute path")
              .max(4096),
            readOnly: z.boolean().optional(),
          })
          .strict(),
      )
      .max(64)
      .optional(),
    binds: z
      .array(
        z
          .object({
            source: z
              .string()
              .regex(/^\/[^\0]*$/, "a bind mount's source is an absolute host path")
              .max(4096),
            destination: z
              .string()
              .regex(/^\/[^\0:]*$/, "a bind mount's mount point is an absolute path")
              .max(4096),
            readOnly: z.boolean().optional(),
          })
          .strict(),
      )
      .max(64)
      .optional(),
    deviceReadBps: z
      .number()
      .int()
      .min(1)
      .max(2 ** 50)
      .optional(),
    deviceWriteBps: z
      .number()
      .int()
      .min(1)
      .max(2 ** 50)
      .optional(),
    labels: z
      .record(z.string().min(1).max(256), z.string().max(4096))
      .refine((l) => Object.keys(l).length <= 256, 'at most 256 labels')
      .optional(),
    ulimits: z
      .array(
        z
          .object({
            name: z.string().regex(/^[a-z]{1,16}$/, 'a --ulimit resource is a name such as nofile'),
            soft: z.number().int().min(-1).max(0xffff_ffff),
            hard: z.number().int().min(-1).max(0xffff_ffff),
          })
          .strict(),
      )
      .max(16)
      .optional(),
    init: z.boolean().optional(),
    restart: z
      .object({
        name: z.enum(['no', 'always', 'unless-stopped', 'on-failure']),
        maxRetries: z
          .number()
          .int()
          .min(0)
          .max(1 << 20)
          .optional(),
      })
      .strict()
      .optional(),
  })
  .strict();

const viewRequest = z.union([
  z.object({ view: z.enum(['cpu', 'fpu', 'spaces', 'ps', 'cgroups', 'containers', 'virtio']) }).strict(),
  z.object({ view: z.literal('counters'), intervalMs: z.number().int().min(1).max(60_000) }).strict(),
  z.object({ view: z.literal('mmu'), address: u32, cr3: u32.optional(), write: z.boolean().optional(), supervisor: z.boolean().optional() }).strict(),
  z.object({ view: z.literal('net'), pcapSeconds: z.number().min(0.001).max(3600).optional() }).strict(),
]);

const request: z.ZodType<EngineRequest> = z.discriminatedUnion('op', [
  z.object({ op: z.literal('run'), image: ref, options: runOptions, attach: z.boolean().optional() }).strict(),
  z.object({ op: z.literal('ps'), all: z.boolean() }).strict(),
  z
    .object({
      op: z.literal('exec'),
      container: ref,
      cmd: args.min(1),
      attach: z.boolean().optional(),
      tty: windowSize.optional(),
      user: z.string().min(1).max(256).optional(),
      workdir: workdir.optional(),
      detach: z.boolean().optional(),
      env: env.optional(),
    })
    .strict(),
  z.object({ op: z.enum(['stats', 'inspect', 'start', 'pause', 'unpause', 'top', 'diff']), container: ref }).strict(),
  z.object({ op: z.literal('logs'), container: ref, times: z.boolean().optional() }).strict(),
  z.object({ op: z.literal('rename'), container: ref, name: containerName }).strict(),
  z.object({ op: z.literal('cp-out'), container: ref, path: containerPath, follow: z.boolean() }).strict(),
  z
    .object({
      op: z.literal('cp-in'),
      container: ref,
      archive: z
        .string()
        .regex(/^\/[^\0]*$/, 'the archive is an absolute host path')
        .max(4096),
      target: z
        .object({
          dest: containerPath,
          name: z
            .string()
            .regex(/^[^/\0]+$/, 'the source name is one path component')
            .refine((n) => n !== '..', 'the source name is not ..'),
          dir: z.boolean(),
          contents: z.boolean(),
        })
        .strict(),
    })
    .strict(),
  z.object({ op: z.enum(['stop', 'restart']), container: ref, time: z.number().int().min(0).max(3600).optional() }).strict(),
  z.object({ op: z.literal('kill'), container: ref, signal: z.string().min(1).max(32) }).strict(),
  z.object({ op: z.literal('rm'), container: ref, force: z.boolean() }).strict(),
  z.object({ op: z.literal('port'), container: ref }).strict(),
  z.object({ op: z.enum(['network-create', 'network-rm']), name: ref }).strict(),
  z.object({ op: z.literal('network-ls') }).strict(),
  z.object({ op: z.literal('volume-create'), name: volumeName.optional() }).strict(),
  z.object({ op: z.enum(['volume-inspect', 'volume-rm']), name: volumeName }).strict(),
  z.object({ op: z.literal('volume-ls') }).strict(),
  z.object({ op: z.literal('build'), tag: ref, context: z.string().min(1).max(4096), dockerfile: z.string().max(1 << 20) }).strict(),
  z.object({ op: z.enum(['status', 'shutdown', 'info']) }).strict(),
  z.object({ op: z.literal('view'), request: viewRequest, run: z.string().min(1).optional() }).strict(),
  z
    .object({
      op: z.literal('trace'),
      request: z
        .object({ kinds: z.array(z.enum(TRACE_KINDS)).max(TRACE_KINDS.length), run: z.string().min(1).optional(), seconds: z.number().min(0).max(3600), follow: z.boolean() })
        .strict(),
    })
    .strict(),
  z.object({ op: z.literal('control') }).strict(),
]);

const attachInput: z.ZodType<AttachInput> = z.union([
  z.object({ stdin: z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/, 'stdin is base64') }).strict(),
  z.object({ eof: z.literal(true) }).strict(),
  z.object({ resize: windowSize }).strict(),
]);

const controlCommand: z.ZodType<ControlCommand> = z.discriminatedUnion('cmd', [
  z.object({ cmd: z.literal('cpu') }).strict(),
  z.object({ cmd: z.literal('step'), count: z.number().int().min(1).max(1e9) }).strict(),
  z.object({ cmd: z.literal('break'), address: u32, timeoutMs: z.number().int().min(0).max(3_600_000) }).strict(),
  z.object({ cmd: z.literal('snapshot') }).strict(),
]);

/** The message parsed by `schema`, or a RequestError naming the first thing wrong with it. */
function check<T>(schema: z.ZodType<T>, msg: unknown, what: string, forms = 'the forms it may take'): T {
  const r = schema.safeParse(msg);
  if (r.success) return r.data;
  const issue = r.error.issues[0]!;
  const at = issue.path.length ? ` at ${issue.path.join('.')}` : '';
  // zod says only "Invalid input" for a value that fits no form of a union.
  const message = issue.code === 'invalid_union' ? `it is none of ${forms}` : issue.message;
  throw new RequestError(`${what} is malformed${at}: ${message}`);
}

export const parseRequest = (msg: unknown) => check(request, msg, 'the request');
export const parseAttachInput = (msg: unknown) => check(attachInput, msg, 'the input line', '{ stdin: BASE64 }, { eof: true }, { resize: { rows, cols } }');
export const parseControlCommand = (msg: unknown) => check(controlCommand, msg, 'the control command');
