import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { open, realpath, rename, stat, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

const { O_WRONLY, O_CREAT, O_EXCL, O_NOFOLLOW } = constants;
/** Windows has no O_NOFOLLOW (undefined there); O_EXCL alone already refuses an existing name, link or not. */
const CREATE_NEW = O_WRONLY | O_CREAT | O_EXCL | (O_NOFOLLOW ?? 0);

/**
 * Replaces `path` with `text`, mode 0600, atomically: a temp file beside it with a random name, created exclusively
 * and never through a link (whoever can write the directory cannot make us write into a file they point us at), its
 * owner and mode set through the descriptor, synced, then renamed over the target. A target that is itself a symlink
 * is written where it points, as before. The temp file is removed on failure.
 */
export async function writePrivateFile(path: string, text: string): Promise<void> {
  const target = await realpath(path).catch(() => path);
  const previous = await stat(target).catch(() => undefined);
  const temp = join(dirname(target), `.${basename(target)}.${randomBytes(12).toString('hex')}.tmp`);
  const file = await open(temp, CREATE_NEW, 0o600);
  try {
    try {
      await file.writeFile(text);
      // Only root can give a file away; it keeps the token file with the user who owns it.
      if (previous && process.getuid?.() === 0 && (previous.uid !== 0 || previous.gid !== 0)) await file.chown(previous.uid, previous.gid);
      await file.chmod(0o600);
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(temp, target);
  } catch (err) {
    await unlink(temp).catch(() => {});
    throw err;
  }
  await syncDirectory(dirname(target));
}

/** The rename is durable only once the directory is synced; not every platform can open a directory for that. */
async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, constants.O_RDONLY).catch(() => undefined);
  if (!handle) return;
  await handle.sync().catch(() => {});
  await handle.close();
}
