using System.Diagnostics;

namespace ParameterSaliency.Serialization;

/// <summary>
/// An exclusive lock shared by processes on one machine, held while a cache is checked and, when
/// missing or stale, computed and written: when two processes want the same cache at once, one
/// computes it while the other waits and then reads it. The lock is a file beside the cache, locked
/// with flock (what .NET's <see cref="FileShare.None"/> does on Linux and macOS); the operating system
/// releases it when its process ends, even by a crash, so a lock is never left stale.
/// <code>
/// using (CacheLock.Acquire(path, log))
///     return LoadIfValid(path) ?? ComputeAndWrite(path);
/// </code>
/// </summary>
public sealed class CacheLock : IDisposable
{
    readonly FileStream stream;

    CacheLock(FileStream stream) => this.stream = stream;

    /// <summary>
    /// Waits until no other process holds the lock of <paramref name="cachePath"/> (<c>cachePath.lock</c>), then holds it.
    /// Says once on <paramref name="log"/> that it waits; gives up after <paramref name="timeout"/> (default: 2 hours).
    /// </summary>
    /// <param name="cachePath">The cache file to guard; the lock file is <c>cachePath.lock</c> beside it.</param>
    /// <param name="log">Where to say once that it waits; null: silent.</param>
    /// <param name="timeout">How long to wait before throwing <see cref="TimeoutException"/>; null: 2 hours.</param>
    public static CacheLock Acquire(string cachePath, TextWriter? log = null, TimeSpan? timeout = null)
    {
        string lockPath = Path.GetFullPath(cachePath) + ".lock";
        Directory.CreateDirectory(Path.GetDirectoryName(lockPath)!);
        var clock = Stopwatch.StartNew();
        bool told = false;
        while (true)
        {
            try
            {
                return new CacheLock(new FileStream(lockPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None));
            }
            catch (IOException) when (clock.Elapsed < (timeout ?? TimeSpan.FromHours(2)))
            {
                if (!told) log?.WriteLine($"Waiting for another process that is computing {Path.GetFileName(cachePath)} ...");
                told = true;
                Thread.Sleep(250);
            }
            catch (IOException e)
            {
                throw new TimeoutException($"Another process held the lock {lockPath} for longer than {clock.Elapsed:g}.", e);
            }
        }
    }

    /// <summary>Releases the lock (the lock file stays, empty, for the next user).</summary>
    public void Dispose() => stream.Dispose();
}
