using System.Diagnostics;
using static TorchSharp.torch;

namespace ParameterSaliency.Runtime;

/// <summary>
/// Shares the machine's cores between processes that run this library at the same time. libtorch runs one
/// OpenMP thread per core, and OpenMP threads spin while they wait; two such processes on the same cores
/// (a notebook and a CLI call, two notebooks in a workshop) took each other's cores and ran 4 to 15 times
/// slower together than one after the other (measured on 2 cores: one 768-image statistics pass 4.8 s alone,
/// the pair 18 to 73 s). Making OpenMP sleep instead of spin (<c>OMP_WAIT_POLICY=PASSIVE</c>) fixes the pair but
/// costs a pass that runs alone 1.6 to 2 times. So instead, every long computation of the library marks its
/// process busy (<see cref="Busy"/>) in a folder shared by the machine's processes, and uses
/// cores ÷ (busy processes) threads, re-counted at most once a second: the full machine alone, a fair share
/// when others compute. Off when the user set <c>OMP_NUM_THREADS</c> (their choice stands) or sets
/// <see cref="Enabled"/> to false.
/// </summary>
public static class CoreShare
{
    static readonly object Gate = new();
    static readonly string Folder = Path.Combine(Path.GetTempPath(), "parameter-saliency-busy");
    static FileStream? mark;
    static int depth;
    static long lastCount;
    static int othersBusy;
    static int? machineThreads;

    /// <summary>Whether the library adjusts libtorch's thread count to the number of busy processes.</summary>
    public static bool Enabled { get; set; } = Environment.GetEnvironmentVariable("OMP_NUM_THREADS") is null;

    /// <summary>Other processes of this library computing right now (as last counted).</summary>
    public static int OthersBusy => othersBusy;

    /// <summary>Marks this process busy until the returned lease is disposed, and sets this thread's libtorch thread count to its share of the cores.</summary>
    public static Lease Busy()
    {
        if (!Enabled) return default;
        lock (Gate)
        {
            if (depth++ == 0) mark = TryMark();
        }
        Adjust(force: true);
        return new Lease(true);
    }

    /// <summary>A busy period; <see cref="Tick"/> inside long loops re-counts the busy processes (at most once a second).</summary>
    /// <param name="active">Whether the lease marked the process busy; a default (inactive) lease does nothing.</param>
    public readonly struct Lease(bool active) : IDisposable
    {
        /// <summary>Re-counts the busy processes when a second has passed since the last count, and adjusts the thread count.</summary>
        public void Tick()
        {
            if (active) Adjust(force: false);
        }

        /// <summary>Ends the busy period (the outermost one unmarks the process).</summary>
        public void Dispose()
        {
            if (!active) return;
            lock (Gate)
            {
                if (--depth > 0) return;
                string? path = mark?.Name;
                mark?.Dispose();
                mark = null;
                if (path is not null) TryDelete(path);
            }
        }
    }

    static void Adjust(bool force)
    {
        long now = Stopwatch.GetTimestamp();
        if (!force && now - Interlocked.Read(ref lastCount) < Stopwatch.Frequency) return;
        Interlocked.Exchange(ref lastCount, now);
        othersBusy = CountOthersBusy();
        machineThreads ??= Math.Max(1, Math.Min(Environment.ProcessorCount, get_num_threads()));
        int share = Math.Max(1, machineThreads.Value / (othersBusy + 1));
        if (get_num_threads() != share) set_num_threads(share);
    }

    static FileStream? TryMark()
    {
        try
        {
            Directory.CreateDirectory(Folder);
            return new FileStream(Path.Combine(Folder, $"{Environment.ProcessId}.busy"), FileMode.Create, FileAccess.ReadWrite, FileShare.None);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null; // sharing is a courtesy: without the folder this process just uses every core
        }
    }

    /// <summary>Busy marks held (locked) by other live processes; marks left by ended processes are removed.</summary>
    static int CountOthersBusy()
    {
        int count = 0;
        string[] marks;
        try
        {
            marks = Directory.Exists(Folder) ? Directory.GetFiles(Folder, "*.busy") : [];
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return 0;
        }
        foreach (string path in marks)
        {
            if (Path.GetFileNameWithoutExtension(path) == Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture)) continue;
            try
            {
                using (new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.None)) { }
                if (int.TryParse(Path.GetFileNameWithoutExtension(path), out int pid) && OperatingSystem.IsLinux() && !Directory.Exists($"/proc/{pid}"))
                    TryDelete(path);
            }
            catch (FileNotFoundException)
            {
            }
            catch (IOException)
            {
                count++; // locked: its process is computing
            }
            catch (UnauthorizedAccessException)
            {
            }
        }
        return count;
    }

    static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
    }
}
