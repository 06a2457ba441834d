using System.Diagnostics;
using System.Text;
using ParameterSaliency.Data;
using ParameterSaliency.Models;
using ParameterSaliency.Runtime;
using ParameterSaliency.Saliency;
using static TorchSharp.torch;

// Throughput of the loop and batched saliency engines against a plain training step of the same
// model (forward + backward of the batch loss: the practical ceiling), as ratios measured in one
// run; the engine Auto picks and why, under every oneDNN ISA cap this processor supports (each in a
// child process); two processes computing at once against one alone; then peak memory and time of a
// statistics pass over 1,000 and 10,000 images.
//   dotnet run --project tests/ParameterSaliency.Benchmarks -c Release [-- --quick]
WorkbookPaths.RegisterData();
if (args.Contains("--isa-row")) return IsaRow.Print();
if (args.Contains("--stats-pass")) return IsaRow.StatisticsPass(int.Parse(args[Array.IndexOf(args, "--stats-pass") + 1]));
NativeTorch.EnsureLoaded();
bool quick = args.Contains("--quick");
if (args.Contains("--engines"))
{
    Console.WriteLine(Engines(quick));
    return 0;
}
var report = new StringBuilder();
report.AppendLine($"Benchmark, {DateTime.UtcNow:yyyy-MM-dd}, {CpuKernelPolicy.ProcessorName()}, {Environment.ProcessorCount} cores, {get_num_threads()} torch threads");
report.AppendLine();
report.AppendLine($"CPU kernels: {CpuKernels.Policy}");
report.AppendLine();
report.AppendLine("| oneDNN ISA cap (ONEDNN_MAX_CPU_ISA) | engine Auto runs on the default model | why | loop img/s | batched img/s | statistics pass, 1,000 images (Auto), img/s |");
report.AppendLine("|---|---|---|---|---|---|");
foreach (string isa in CpuKernelPolicy.Candidates())
{
    var row = IsaRow.InChild(isa);
    report.AppendLine(row);
    Console.Error.WriteLine(row);
}
report.AppendLine();
report.AppendLine(IsaRow.TwoProcesses(quick ? 512 : 1024));
report.AppendLine();
report.AppendLine(Engines(quick));
report.AppendLine();
using var test = FashionMnist.Load(DataSplit.Test);
report.AppendLine(ImageNetScale.Row(Path.Combine(WorkbookPaths.Artifacts, "benchmarks"), images: quick ? 10 : 100, heatmaps: quick ? 2 : 5));
report.AppendLine();
report.AppendLine("| input-space heatmap, default model (one image, k 10, boost 100) | images | median ms | 90th percentile ms | median ms of one loop profile | heatmap / profile |");
report.AppendLine("|---|---|---|---|---|---|");
using (var saved = ModelFile.Load(WorkbookPaths.DefaultModel, CPU))
{
    var statistics = SaliencyStatistics.Load(WorkbookPaths.DefaultStatistics);
    var explainer = new ParameterSaliency.InputSpace.InputSpaceSaliency(saved.Model, statistics);
    var loop = new SaliencyProfiler(saved.Model, new ProfilerOptions { Engine = ProfileEngine.Loop });
    int count = quick ? 20 : 100;
    explainer.Explain(test, 0); // warm-up
    var heatmapMs = new List<double>();
    var profileMs = new List<double>();
    for (int i = 0; i < count; i++)
    {
        var clock = Stopwatch.StartNew();
        explainer.Explain(test, i);
        heatmapMs.Add(clock.Elapsed.TotalMilliseconds);
        clock.Restart();
        loop.Profile(test.Images.narrow(0, i, 1), test.Labels.narrow(0, i, 1)).Dispose();
        profileMs.Add(clock.Elapsed.TotalMilliseconds);
    }
    double Median(List<double> values) => values.Order().ElementAt(values.Count / 2);
    double p90 = heatmapMs.Order().ElementAt(heatmapMs.Count * 9 / 10);
    report.AppendLine($"| boosted top-10 profile, double backward | {count} | {Median(heatmapMs):F1} | {p90:F1} | {Median(profileMs):F1} | {Median(heatmapMs) / Median(profileMs):F1} |");
    Console.Error.WriteLine($"heatmap: median {Median(heatmapMs):F1} ms, p90 {p90:F1} ms; profile {Median(profileMs):F1} ms");
}

report.AppendLine();
report.AppendLine("| statistics pass, default model | images | seconds | img/s | peak RSS above start (MB) |");
report.AppendLine("|---|---|---|---|---|");
using (var saved = ModelFile.Load(WorkbookPaths.DefaultModel, CPU))
{
    var profiler = new SaliencyProfiler(saved.Model);
    foreach (int count in quick ? new[] { 200, 1000 } : new[] { 1000, 10000 })
    {
        GC.Collect();
        long before = Process.GetCurrentProcess().WorkingSet64;
        long peak = before;
        using var sampler = new Timer(_ => peak = Math.Max(peak, Process.GetCurrentProcess().WorkingSet64), null, 0, 50);
        var clock = Stopwatch.StartNew();
        SaliencyStatistics.Compute(profiler, test, Enumerable.Range(0, count).ToArray());
        clock.Stop();
        peak = Math.Max(peak, Process.GetCurrentProcess().WorkingSet64);
        report.AppendLine($"| {profiler.Engine} engine | {count:N0} | {clock.Elapsed.TotalSeconds:F1} | {count / clock.Elapsed.TotalSeconds:F0} | {(peak - before) / 1e6:F0} |");
        Console.Error.WriteLine($"statistics over {count} images: {clock.Elapsed.TotalSeconds:F1} s");
    }
}

Console.WriteLine(report);
string output = Path.Combine(WorkbookPaths.Artifacts, "benchmarks", "benchmark.md");
Directory.CreateDirectory(Path.GetDirectoryName(output)!);
File.WriteAllText(output, report.ToString());
Console.Error.WriteLine($"Wrote {output}");
return 0;

static string Engines(bool quick)
{
    string folder = Path.Combine(WorkbookPaths.Artifacts, "benchmarks");
    var table = new StringBuilder();
    table.AppendLine($"Per-sample profiles, images per second (ours: batched engine {new ProfilerOptions().BatchSize} images per pass; training step: 32 per call; {get_num_threads()} torch threads in both frameworks):");
    table.AppendLine();
    table.AppendLine(EngineTable.Header);
    using (var test = FashionMnist.Load(DataSplit.Test))
    using (var saved = ModelFile.Load(WorkbookPaths.DefaultModel, CPU))
    {
        int count = 256;
        table.AppendLine(EngineTable.Row(folder, "default (resnet18-cifar, w 16)", "1x28x28", "cifar-resnet18-w16", saved.Model, test.Images.narrow(0, 0, count), test.Labels.narrow(0, 0, count)));
    }
    {
        int count = quick ? 32 : 64;
        var (wide, images, labels) = GlobalRandom.Seeded(0, () => (new ResNet(ResNetConfig.TorchVisionResNet18(numClasses: 10)), randn(count, 3, 32, 32), randint(0, 10, [count], dtype: ScalarType.Int64)));
        using (wide) table.AppendLine(EngineTable.Row(folder, "resnet18 (torchvision, w 64), random weights", "3x32x32", "resnet18", wide, images, labels));
    }
    {
        int count = quick ? 8 : 32;
        var (resnet50, images, labels) = GlobalRandom.Seeded(0, () => (new ResNet(ResNetConfig.TorchVisionResNet50()), randn(count, 3, 224, 224), randint(0, 1000, [count], dtype: ScalarType.Int64)));
        using (resnet50) table.AppendLine(EngineTable.Row(folder, "resnet50 (torchvision), random weights", "3x224x224", "resnet50", resnet50, images, labels, loopOnly: quick));
    }
    return table.ToString();
}
