using System.Diagnostics;
using System.Text;
using ParameterSaliency.Data;
using ParameterSaliency.Models;
using ParameterSaliency.Runtime;
using ParameterSaliency.Saliency;
using static TorchSharp.torch;

// Our saliency engines against what a PyTorch user would run instead (Debian's python3-torch: the authors' loop and
// functorch vmap(grad)) and against the training step of both frameworks, as ratios measured in one run; the engine
// Auto picks under every oneDNN ISA cap this processor supports (each in a child process); two processes computing at
// once; `saliency stats` as a user runs it; heatmaps one at a time against batched; memory of statistics passes.
//   dotnet run --project tests/ParameterSaliency.Benchmarks -c Release [-- --quick | --engines | --stats-vs-functorch | --conv-algorithms | --kernel-routes | --vit
//                                                                        | --guard-share | --guard-gate N | --resnet50-guard]
WorkbookPaths.RegisterData();
if (args.Contains("--isa-row")) return IsaRow.Print();
if (args.Contains("--pass-memory")) return PassMemory.Child(args[Array.IndexOf(args, "--pass-memory") + 1], int.Parse(args[Array.IndexOf(args, "--pass-memory") + 2]));
NativeTorch.EnsureLoaded();
if (args.Contains("--train-step-verbose")) return ConvolutionAlgorithms.Child(args[Array.IndexOf(args, "--train-step-verbose") + 1]);
bool quick = args.Contains("--quick");
string folder = Path.Combine(WorkbookPaths.Artifacts, "benchmarks");
if (args.Contains("--stats-vs-functorch"))
{
    Console.WriteLine($"{DateTime.UtcNow:yyyy-MM-dd}, {CpuKernelPolicy.ProcessorName()}, {Environment.ProcessorCount} cores");
    Console.WriteLine();
    Console.WriteLine(StatsAgainstFunctorch.Table(folder));
    return 0;
}
if (args.Contains("--conv-algorithms"))
{
    // Which convolution algorithms the training step (every engine's ceiling) runs, ours against PyTorch's (about 2 minutes).
    Console.WriteLine($"{DateTime.UtcNow:yyyy-MM-dd}, {CpuKernelPolicy.ProcessorName()}, {Environment.ProcessorCount} cores, {get_num_threads()} torch threads");
    Console.WriteLine();
    Console.WriteLine(ConvolutionAlgorithms.Table(folder));
    return 0;
}
if (args.Contains("--kernel-routes"))
{
    // What the routes around faulty CPU kernels cost on each model (about 3 minutes).
    Console.WriteLine($"{DateTime.UtcNow:yyyy-MM-dd}, {CpuKernelPolicy.ProcessorName()}, {Environment.ProcessorCount} cores");
    Console.WriteLine();
    Console.WriteLine(KernelRoutes.Table());
    return 0;
}
if (args.Contains("--guard-share"))
{
    // The settling check's share of a batched pass on the default model (about a minute).
    Console.WriteLine(GuardShare.Table(images: 2048, runs: 5));
    return 0;
}
if (args.Contains("--resnet50-guard"))
{
    // The paper's ResNet-50 under KinkGuard.Exact and KinkGuard.Flag against PyTorch (a few minutes).
    Console.WriteLine($"{DateTime.UtcNow:yyyy-MM-dd}, {CpuKernelPolicy.ProcessorName()}, {Environment.ProcessorCount} cores, {get_num_threads()} torch threads");
    Console.WriteLine();
    Console.WriteLine(ResNet50Guard.Row(folder, count: quick ? 4 : 8, repeats: 5));
    return 0;
}
if (args.Contains("--guard-gate"))
{
    // What flipping one ReLU mask in the rounding band does to a row, entry by entry, on the default model's first test images.
    int count = int.Parse(args[Array.IndexOf(args, "--guard-gate") + 1]);
    using var data = FashionMnist.Load(DataSplit.Test);
    using var saved = ModelFile.Load(WorkbookPaths.DefaultModel, CPU);
    var entries = GuardGate.Measure(saved.Model, data, Enumerable.Range(0, count).ToArray(), line => Console.Error.WriteLine(line));
    GuardGate.WriteCsv(entries, Path.Combine(folder, "guard-gate.csv"));
    Console.WriteLine(GuardGate.Summary(entries, count));
    return 0;
}
if (args.Contains("--vit"))
{
    // The Vision Transformer rows alone (about 2 minutes): the small ViT against functorch, and a ViT-B/16 pass.
    Console.WriteLine($"{DateTime.UtcNow:yyyy-MM-dd}, {CpuKernelPolicy.ProcessorName()}, {Environment.ProcessorCount} cores, {get_num_threads()} torch threads");
    Console.WriteLine();
    Console.WriteLine(EngineTable.Header);
    using (var images = FashionMnist.Load(DataSplit.Test))
    using (var vit = ModelFile.Load(WorkbookPaths.VitModel, CPU))
        Console.WriteLine(EngineTable.Row(folder, "vit-tiny (neurons), the committed model", "1x28x28", "vit-tiny", vit.Model, images.Images.narrow(0, 0, 256), images.Labels.narrow(0, 0, 256)).Row);
    Console.WriteLine();
    Console.WriteLine(PassMemory.Rows("vit_b_16", "statistics pass, ViT-B/16 at 3x224x224, random weights, neuron-wise (Auto), each in its own process", quick ? [2, 4] : [4, 8]));
    return 0;
}
var report = new StringBuilder();
report.AppendLine($"Benchmark, {DateTime.UtcNow:yyyy-MM-dd}, {CpuKernelPolicy.ProcessorName()}, {Environment.ProcessorCount} cores, {get_num_threads()} torch threads");
report.AppendLine();
report.AppendLine($"CPU kernels: {CpuKernels.Policy}");
report.AppendLine();
var (engines, defaultPyTorch) = Engines(folder, quick);
report.AppendLine(engines);
if (args.Contains("--engines"))
{
    Console.WriteLine(report);
    return 0;
}
report.AppendLine(CliRow.Header);
report.AppendLine(CliRow.Row(defaultPyTorch?.Best ?? double.NaN));
report.AppendLine();

report.AppendLine("| oneDNN ISA cap (ONEDNN_MAX_CPU_ISA) | engine Auto runs on the default model | why | loop img/s | batched img/s | statistics pass, 1,000 images (Auto), img/s |");
report.AppendLine("|---|---|---|---|---|---|");
foreach (string isa in CpuKernelPolicy.SupportedCaps())
{
    var row = IsaRow.InChild(isa);
    report.AppendLine(row);
    Console.Error.WriteLine(row);
}
report.AppendLine();
report.AppendLine(IsaRow.TwoProcesses(quick ? 512 : 1024));
report.AppendLine();

using var test = FashionMnist.Load(DataSplit.Test);
report.AppendLine(HeatmapRow.Header);
using (var saved = ModelFile.Load(WorkbookPaths.DefaultModel, CPU))
    report.AppendLine(HeatmapRow.Row("default model", saved.Model, SaliencyStatistics.Load(WorkbookPaths.DefaultStatistics), test, quick ? 64 : 256));
report.AppendLine();
report.AppendLine(ImageNetScale.HeatmapRows(heatmaps: quick ? 4 : 8));

report.AppendLine(PassMemory.Rows("default", "statistics pass, default model (Auto), each in its own process", quick ? [200, 1000] : [1000, 10000]));
report.AppendLine(PassMemory.Rows("resnet50", "statistics pass, ResNet-50 at 3x224x224, random weights (Auto), each in its own process", quick ? [4, 8] : [8, 16, 32]));
report.AppendLine(PassMemory.Rows("vit_b_16", "statistics pass, ViT-B/16 at 3x224x224, random weights, neuron-wise (Auto), each in its own process", quick ? [2, 4] : [4, 8]));
Console.WriteLine(report);
string output = Path.Combine(folder, "benchmark.md");
Directory.CreateDirectory(folder);
File.WriteAllText(output, report.ToString());
Console.Error.WriteLine($"Wrote {output}");
return 0;

static (string Table, PyTorchRates? DefaultModel) Engines(string folder, bool quick)
{
    var table = new StringBuilder();
    table.AppendLine($"Per-sample profiles, images per second, each the median of {EngineTable.Repeats} runs (ours: batched engine {new ProfilerOptions().BatchSize} images per pass; training step: 32 per call; {get_num_threads()} torch threads in both frameworks):");
    table.AppendLine();
    table.AppendLine(EngineTable.Header);
    PyTorchRates? defaultModel;
    using (var test = FashionMnist.Load(DataSplit.Test))
    using (var saved = ModelFile.Load(WorkbookPaths.DefaultModel, CPU))
    {
        (string row, defaultModel) = EngineTable.Row(folder, "default (resnet18-cifar, w 16)", "1x28x28", "cifar-resnet18-w16", saved.Model, test.Images.narrow(0, 0, 256), test.Labels.narrow(0, 0, 256));
        table.AppendLine(row);
    }
    if (File.Exists(WorkbookPaths.VitModel))
        using (var test = FashionMnist.Load(DataSplit.Test))
        using (var vit = ModelFile.Load(WorkbookPaths.VitModel, CPU))
            table.AppendLine(EngineTable.Row(folder, "vit-tiny (neurons), the committed model", "1x28x28", "vit-tiny", vit.Model, test.Images.narrow(0, 0, 256), test.Labels.narrow(0, 0, 256)).Row);
    {
        int count = quick ? 32 : 64;
        var (wide, images, labels) = GlobalRandom.Seeded(0, () => (new ResNet(ResNetConfig.TorchVisionResNet18(numClasses: 10)), randn(count, 3, 32, 32), randint(0, 10, [count], dtype: ScalarType.Int64)));
        using (wide) table.AppendLine(EngineTable.Row(folder, "resnet18 (torchvision, w 64), random weights", "3x32x32", "resnet18", wide, images, labels).Row);
    }
    {
        int count = quick ? 8 : 32;
        var (resnet50, images, labels) = GlobalRandom.Seeded(0, () => (new ResNet(ResNetConfig.TorchVisionResNet50()), randn(count, 3, 224, 224), randint(0, 1000, [count], dtype: ScalarType.Int64)));
        using (resnet50) table.AppendLine(EngineTable.Row(folder, "resnet50 (torchvision), random weights", "3x224x224", "resnet50", resnet50, images, labels, loopOnly: quick).Row);
    }
    return (table.ToString(), defaultModel);
}
