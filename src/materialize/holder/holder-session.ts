// One attach to the holder (holder.c): requests written as frames on its stdin, replies read from
// its stdout. Other clients may be attached at the same time (the engine merges stdins at any byte
// and sends every reply to all), so a request that gets no whole reply in time is sent again; the
// holder makes that safe (stage chunks are idempotent, a commit is answered from its id).
import { randomBytes } from "node:crypto";
import type { Duplex } from "node:stream";
import pLimit from "p-limit";
import { EngineError } from "../../errors.js";
import { encodeFrame, FrameReader, MORE, StdoutDemuxer, type Frame, type FrameKind } from "./frames.js";

/** How long a request waits for its reply before it is sent again (doubled each time, up to 2 s; jittered by half). */
const RESEND_MS = 150;
/** How long a request may take in all. */
const REQUEST_TIMEOUT_MS = 30_000;
/**
 * Requests of one session waiting for their replies at once. The holder carries them out one
 * after another: a delivery of a thousand files sent at once would keep most of them unanswered
 * past RESEND_MS behind our own earlier frames, and each resend would queue more. A few in
 * flight keep the holder busy, and a resend then means a frame was garbled, not queued.
 */
const IN_FLIGHT = 4;

/** A reply: the holder's status (an errno, 0 when all went well) and its frames' bodies in order. */
export interface HolderReply {
  status: number;
  bodies: Buffer[];
}

interface Pending {
  frames: Frame[];
  resolve: (reply: HolderReply) => void;
}

export class HolderSession {
  readonly #demux = new StdoutDemuxer();
  readonly #reader = new FrameReader();
  readonly #pending = new Map<string, Pending>();
  readonly #inFlight = pLimit(IN_FLIGHT);
  #closed: Error | undefined;

  constructor(
    private readonly connection: Duplex,
    private readonly what: string,
  ) {
    connection.on("data", (chunk: Buffer) => {
      for (const frame of this.#reader.push(this.#demux.push(chunk))) this.#take(frame);
    });
    const end = (error?: Error) => this.#fail(error ?? new Error("the attach ended"));
    connection.on("end", () => end());
    connection.on("close", () => end());
    connection.on("error", end);
    this.#idle();
  }

  /** Whether the attach can still carry requests. */
  get open(): boolean {
    return this.#closed === undefined;
  }

  /** Sends one request and waits for its whole reply, sending it again while none comes. */
  request(kind: FrameKind, body: Buffer): Promise<HolderReply> {
    return this.#inFlight(() => this.#send(kind, body));
  }

  async #send(kind: FrameKind, body: Buffer): Promise<HolderReply> {
    if (this.#closed) throw this.#error(this.#closed);
    const id = randomBytes(8);
    const key = id.toString("hex");
    const bytes = encodeFrame({ id, kind, flags: 0, status: 0, seq: 0, body });
    this.#ref();
    try {
      return await new Promise<HolderReply>((resolve, reject) => {
        const started = Date.now();
        let wait = RESEND_MS;
        let timer: NodeJS.Timeout | undefined;
        const done = () => {
          clearTimeout(timer);
          this.#pending.delete(key);
        };
        const send = () => {
          if (this.#closed) {
            done();
            reject(this.#error(this.#closed));
            return;
          }
          if (Date.now() - started > REQUEST_TIMEOUT_MS) {
            done();
            reject(
              new EngineError(
                `${this.what}: no answer within ${REQUEST_TIMEOUT_MS / 1000} s; run the command again (\`up\` starts the holder anew when it does not run)`,
              ),
            );
            return;
          }
          // One write per frame: the engine may still split it, and the CRC catches that.
          this.connection.write(bytes);
          // Jittered: two clients whose frames garbled each other must not send again in step.
          timer = setTimeout(send, wait * (0.5 + Math.random()));
          wait = Math.min(wait * 2, 2000);
        };
        this.#pending.set(key, {
          frames: [],
          resolve: (reply) => {
            done();
            resolve(reply);
          },
        });
        this.#rejecters.set(key, (error) => {
          done();
          reject(error);
        });
        send();
      });
    } finally {
      this.#rejecters.delete(key);
      this.#idle();
    }
  }

  /** Ends the attach (the holder keeps running). */
  close(): void {
    this.#fail(new Error("closed"));
    this.connection.destroy();
  }

  readonly #rejecters = new Map<string, (error: Error) => void>();

  #take(frame: Frame): void {
    // Replies only, to our requests; a reply's frames come in order, seq 0 first (a resend's reply starts again at 0).
    if ((frame.kind & 0x80) === 0) return;
    const pending = this.#pending.get(frame.id.toString("hex"));
    if (pending === undefined) return;
    if (frame.seq === 0) pending.frames = [];
    if (frame.seq !== pending.frames.length) return;
    pending.frames.push(frame);
    if ((frame.flags & MORE) !== 0) return;
    const failed = pending.frames.find((part) => part.status !== 0);
    pending.resolve({ status: failed?.status ?? 0, bodies: pending.frames.map((part) => part.body) });
  }

  #fail(error: Error): void {
    if (this.#closed) return;
    this.#closed = error;
    for (const reject of this.#rejecters.values()) reject(this.#error(error));
  }

  #error(cause: Error): EngineError {
    return new EngineError(`${this.what}: the attach to the holder ended (${cause.message})`);
  }

  /** The socket keeps the process alive only while a request waits. */
  #ref(): void {
    (this.connection as Partial<{ ref(): void }>).ref?.();
  }

  #idle(): void {
    if (this.#pending.size === 0) (this.connection as Partial<{ unref(): void }>).unref?.();
  }
}
