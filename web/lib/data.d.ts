// The package's data sets and IDX files: where they come from, how they
// stream into the heap, and the one abort error. index.d.ts re-exports it.

/** Where a Dataset's files come from: a URL (fs for file: URLs in Node), a response, a stream or the bytes; gzip or not. */
export type DatasetSource = string | URL | Response | ReadableStream<Uint8Array> | Uint8Array | ArrayBuffer;

export interface DatasetOptions {
  /** Labels must be below this (2..256, default 10). */
  classes?: number;
  signal?: AbortSignal;
  /** Called as bytes arrive. */
  onProgress?: (dataset: Dataset) => void;
  /** Milliseconds without a byte before a download fails (default none). */
  timeout?: number;
}

/**
 * Images and labels that live once in the wasm heap, filled in place by
 * C's IDX parser as they stream in. Shapes, counts and labels are checked
 * as they arrive; `done` rejects with the first error (code NN_ERR_...).
 */
export class Dataset {
  private constructor();
  /** Settles when both files are whole and checked. */
  readonly done: Promise<Dataset>;
  /** Samples the headers promise (0 until known). */
  readonly count: number;
  /** Samples whose image and label have both arrived. */
  readonly ready: number;
  readonly complete: boolean;
  readonly rows: number;
  readonly cols: number;
  readonly classes: number;
  /** The largest label of the ready samples (below classes); -1 before any. */
  readonly maxLabel: number;
  /** Bytes received, and the total if every server sent a length (else null). */
  readonly received: number;
  readonly total: number | null;
  readonly disposed: boolean;
  /** A copy of ready image i (rows * cols bytes). */
  image(i: number): Uint8Array;
  label(i: number): number;
  /** Resolves when more samples arrive or the data set ends. */
  changed(): Promise<void>;
  /** Stops the downloads and frees the data; safe to call twice. */
  dispose(reason?: unknown): void;
}

/** A Dataset that fills as its two files stream in (resolves once the module is loaded). */
export function openDataset(
  sources: { images: DatasetSource; labels: DatasetSource },
  options?: DatasetOptions,
): Promise<Dataset>;
/** openDataset, resolved once the data set is whole. */
export function loadDataset(
  sources: { images: DatasetSource; labels: DatasetSource },
  options?: DatasetOptions,
): Promise<Dataset>;
export type MnistSet = 'train' | 'test';
export interface MnistOptions extends DatasetOptions {
  /** The sets to open (default both). */
  sets?: MnistSet[];
}
/** The four standard MNIST files under a folder or base URL (NAME.gz, else NAME), streaming. */
export function openMnist(base: string | URL, options?: DatasetOptions): Promise<{ train: Dataset; test: Dataset }>;
export function openMnist<S extends MnistSet>(
  base: string | URL,
  options: MnistOptions & { sets: S[] },
): Promise<{ [K in S]: Dataset }>;
/** openMnist, resolved once its files are whole. */
export function loadMnist(base: string | URL, options?: DatasetOptions): Promise<{ train: Dataset; test: Dataset }>;
export function loadMnist<S extends MnistSet>(
  base: string | URL,
  options: MnistOptions & { sets: S[] },
): Promise<{ [K in S]: Dataset }>;

/**
 * One of the standard files under a folder or base URL, in the one lookup
 * order (NAME.gz, else NAME; only "not found" tries the next): a Response,
 * or in Node a file: URL. Rejects with `code` NOT_FOUND, NETWORK or TIMEOUT
 * or an HTTP `status`, and `tried`, the URLs asked for.
 */
export function findMnistFile(
  base: string | URL,
  name: string,
  options?: { signal?: AbortSignal; timeout?: number },
): Promise<Response | URL>;

/** A whole IDX file: dims[0] samples of dims[1] * ... bytes each. */
export interface Idx {
  dims: number[];
  data: Uint8Array;
}

export interface IdxProgress {
  /** Body bytes received so far (compressed bytes for gzip). */
  received: number;
  /** Content-Length (or file size), null if unknown. */
  total: number | null;
}

export interface FetchIdxOptions {
  onProgress?: (progress: IdxProgress) => void;
  /** Aborts the download at any point: before the response, mid-body, during gunzip. */
  signal?: AbortSignal;
  /**
   * Idle timeout in ms (1..2^31-1, or Infinity; default none): reject with
   * an Error (name "TimeoutError", code "TIMEOUT") when the response or the
   * next chunk takes longer. Time a streamIdx caller spends between
   * updates does not count.
   */
  timeout?: number;
}

/** What streamIdx yields: the header, then whole samples as they arrive. */
export interface IdxUpdate extends IdxProgress {
  dims: number[];
  /** dims[0]: samples the header promises. */
  count: number;
  /** Bytes per sample. */
  sampleSize: number;
  /** samples holds samples [start, ready): (ready - start) * sampleSize bytes, a copy. */
  start: number;
  ready: number;
  samples: Uint8Array;
}

/** Where fetchIdx / streamIdx read from: a URL (file: URLs in Node), a Response or a byte stream. */
export type IdxSource = string | URL | Response | ReadableStream<Uint8Array>;

/**
 * Parses a whole IDX file, raw or gzip (detected by its 1f 8b magic), with
 * the C parser. Always async: the parser lives in the wasm module and gzip
 * is decoded by DecompressionStream, both asynchronous. Bad files reject
 * with an Error whose code is NN_ERR_MAGIC, NN_ERR_TYPE, NN_ERR_DIMS,
 * NN_ERR_LIMIT, NN_ERR_TRUNCATED or NN_ERR_TRAILING; bad gzip with code "NN_ERR_GZIP".
 */
export function parseIdx(bytes: Uint8Array | ArrayBuffer, options?: { signal?: AbortSignal }): Promise<Idx>;

/**
 * Streams an IDX file, gunzipping on the fly, through the C parser chunk by
 * chunk; resolves once it is complete and valid. Rejects on an HTTP error
 * (Error with `status`), a failed or dropped connection (code "NETWORK",
 * with `url`, `received` bytes and `total` where known), an abort (the signal's reason, an AbortError by default), the idle
 * timeout (code "TIMEOUT"), corrupt or truncated gzip (code "NN_ERR_GZIP") or IDX
 * (code NN_ERR_...; a web page or other text says "not an IDX file (got
 * text/html: ...)", code NN_ERR_MAGIC). Nothing is kept after a failure:
 * a retry starts afresh.
 */
export function fetchIdx(source: IdxSource, options?: FetchIdxOptions): Promise<Idx>;

/**
 * Like fetchIdx, but yields whole samples as they arrive so that training
 * can begin before the download ends. The first update comes once the
 * header is whole. The loop ends normally only when the file is complete
 * and valid; errors throw from it; breaking out cancels the download.
 *
 *   let buf;
 *   for await (const u of streamIdx(url)) {
 *     buf ??= new Uint8Array(u.count * u.sampleSize);
 *     buf.set(u.samples, u.start * u.sampleSize);
 *   }
 */
export function streamIdx(source: IdxSource, options?: FetchIdxOptions): AsyncGenerator<IdxUpdate, void, void>;

/**
 * The one abort error of the package: an abort's reason where it is an
 * Error (the caller's own, a timeout, a DOMException AbortError), else an
 * Error named "AbortError" whose message is the reason (a string) or a
 * default sentence. Every abort in the package throws what this returns.
 */
export function abortError(reason?: unknown): Error;
