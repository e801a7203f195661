import { hashRaw } from '@node-rs/argon2';
import { KDF_PARAMS } from '../../agent/adhoc/password-verifier.ts';
import { ADHOC_KDF, type AdhocKdfParams } from '../../protocol/adhoc-proof.ts';

/** `Algorithm.Argon2id` of @node-rs/argon2 (an ambient const enum, which verbatimModuleSyntax cannot import). */
const ARGON2ID = 2;

/**
 * K = argon2id(password, salt) with protocol v1's parameters, by the native
 * @node-rs/argon2: the reference the tests hold the console's hash-wasm
 * derivation to. The agent never derives K (it receives it at pairing), so
 * this stays out of the agent and its download bundle.
 */
export async function deriveKey(password: string, salt: Uint8Array, kdf: AdhocKdfParams = KDF_PARAMS): Promise<Buffer> {
  return hashRaw(password, {
    algorithm: ARGON2ID,
    salt: Buffer.from(salt),
    memoryCost: kdf.memoryKiB,
    timeCost: kdf.iterations,
    parallelism: kdf.parallelism,
    outputLen: ADHOC_KDF.keyBytes,
  });
}
