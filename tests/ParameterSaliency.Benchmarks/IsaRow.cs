using System.Diagnostics;
using ParameterSaliency.Data;
using ParameterSaliency.Models;
using ParameterSaliency.Runtime;
using ParameterSaliency.Saliency;
using static TorchSharp.torch;

/// <summary>Measurements that need a process of their own: under one oneDNN ISA cap (read once per process), or two processes at once.</summary>
internal static class IsaRow
{
    /// <summary>Child: the engine Auto runs on the default model under this process's cap, and the throughputs, as one Markdown row.</summary>
    public static int Print()
    {
        using var saved = ModelFile.Load(WorkbookPaths.DefaultModel, CPU);
        using var test = FashionMnist.Load(DataSplit.Test);
        var images = test.Images.narrow(0, 0, 64);
        var labels = test.Labels.narrow(0, 0, 64);
        var auto = new SaliencyProfiler(saved.Model);
        auto.Profile(images, labels).Dispose();
        double Rate(ProfileEngine engine)
        {
            var profiler = new SaliencyProfiler(saved.Model, new ProfilerOptions { Engine = engine });
            profiler.Profile(images, labels).Dispose();
            var clock = Stopwatch.StartNew();
            profiler.Profile(images, labels).Dispose();
            profiler.Profile(images, labels).Dispose();
            return 128 / clock.Elapsed.TotalSeconds;
        }
        double loop = Rate(ProfileEngine.Loop), batched = Rate(ProfileEngine.Batched);
        var clock = Stopwatch.StartNew();
        SaliencyStatistics.Compute(new SaliencyProfiler(saved.Model), test, Enumerable.Range(0, 1000).ToArray());
        double pass = 1000 / clock.Elapsed.TotalSeconds;
        Console.WriteLine($"| {CpuKernels.MaxIsa} | {auto.Engine} | {auto.EngineReason} | {loop:F0} | {batched:F0} | {pass:F0} |");
        return 0;
    }

    public static string InChild(string isa) =>
        Run(["--isa-row"], new() { ["ONEDNN_MAX_CPU_ISA"] = isa, ["DNNL_MAX_CPU_ISA"] = isa }).Trim().Split('\n')[^1];

    /// <summary>Two statistics passes started together (each its own process and images) against one alone, with the library's core sharing and without it.</summary>
    public static string TwoProcesses(int count)
    {
        string[] pass = ["--pass-memory", "default", count.ToString()];
        double Alone(Dictionary<string, string> environment) => Timed(() => Run(pass, environment));
        double Pair(Dictionary<string, string> environment)
        {
            return Timed(() => Task.WaitAll(Task.Run(() => Run(pass, environment)), Task.Run(() => Run(pass, environment))));
        }
        var shared = new Dictionary<string, string>();
        // OMP_NUM_THREADS set to the core count switches core sharing off (the user's choice stands): libtorch's default.
        var spinning = new Dictionary<string, string> { ["OMP_NUM_THREADS"] = Environment.ProcessorCount.ToString() };
        double aloneShared = Alone(shared), pairShared = Pair(shared), aloneSpinning = Alone(spinning), pairSpinning = Pair(spinning);
        Console.Error.WriteLine($"two processes: shared {aloneShared:F1}/{pairShared:F1} s, not shared {aloneSpinning:F1}/{pairSpinning:F1} s");
        return "| two statistics passes at once (" + count + " images each, separate processes) | one alone, s | both at once, s | at once / alone |\n|---|---|---|---|\n" +
               $"| cores shared by busy processes (the library's default) | {aloneShared:F1} | {pairShared:F1} | {pairShared / aloneShared:F2} |\n" +
               $"| not shared (OMP_NUM_THREADS={Environment.ProcessorCount}: every process uses every core) | {aloneSpinning:F1} | {pairSpinning:F1} | {pairSpinning / aloneSpinning:F2} |";
    }

    static double Timed(Action action)
    {
        var clock = Stopwatch.StartNew();
        action();
        return clock.Elapsed.TotalSeconds;
    }

    /// <summary>This benchmark in a child process (a measurement that needs a process of its own); its standard output.</summary>
    public static string Run(string[] arguments, Dictionary<string, string> environment) =>
        RunDotnet(typeof(IsaRow).Assembly.Location, arguments, environment);

    /// <summary>`dotnet <paramref name="assembly"/> arguments`; its standard output, or an exception with its standard error when it fails.</summary>
    public static string RunDotnet(string assembly, string[] arguments, Dictionary<string, string> environment)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(assembly);
        foreach (string argument in arguments) start.ArgumentList.Add(argument);
        foreach (var (name, value) in environment) start.Environment[name] = value;
        using var process = Process.Start(start)!;
        var error = process.StandardError.ReadToEndAsync();
        string output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0) throw new InvalidOperationException($"{Path.GetFileName(assembly)} {string.Join(' ', arguments)} failed: {error.Result}");
        return output;
    }
}
