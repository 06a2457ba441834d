using System.Diagnostics;
using ParameterSaliency.Data;
using ParameterSaliency.Models;
using ParameterSaliency.Runtime;
using ParameterSaliency.Saliency;
using static TorchSharp.torch;

/// <summary>
/// What each route around faulty kernels costs (issue 36): the same model, images and weights profiled (the batched
/// engine with its settling check, as a statistics pass runs it) and trained (forward and backward of the batch loss, 32
/// per call) with convolutions on oneDNN and on ATen's own kernels (oneDNN and NNPACK off), switched in the running
/// process and timed in turns; each rate the median of <see cref="Repeats"/>, each ratio against oneDNN from the same run.
/// </summary>
internal static class KernelRoutes
{
    const int Repeats = 3;
    static readonly ConvolutionBackend[] Backends = [ConvolutionBackend.OneDnn, ConvolutionBackend.Aten];

    public static string Table()
    {
        var rows = new List<string>
        {
            $"CPU kernels: {CpuKernels.Policy.Kernels}; {get_num_threads()} torch threads",
            "",
            "| model | images | work | " + string.Join(" | ", Backends.Select(b => CpuKernelPolicy.Describe(CpuKernels.Policy.Isa, b) + " img/s")) + " | no oneDNN / oneDNN |",
            "|---|---|---|---|---|---|",
        };
        using (var saved = ModelFile.Load(WorkbookPaths.DefaultModel, CPU))
        using (var test = FashionMnist.Load(DataSplit.Test))
            rows.AddRange(Rows("default (ResNet-18 w16, 1x28x28)", saved.Model, test.Images.narrow(0, 0, 512), test.Labels.narrow(0, 0, 512).to(ScalarType.Int64)));
        using (var saved = ModelFile.Load(WorkbookPaths.VitModel, CPU))
        using (var test = FashionMnist.Load(DataSplit.Test))
            rows.AddRange(Rows("vit-tiny (1x28x28)", saved.Model, test.Images.narrow(0, 0, 256), test.Labels.narrow(0, 0, 256).to(ScalarType.Int64)));
        var (resnet50, images, labels) = GlobalRandom.Seeded(0, () => ((nn.Module<Tensor, Tensor>)new ResNet(ResNetConfig.TorchVisionResNet50()), randn(8, 3, 224, 224), randint(0, 1000, [8], dtype: ScalarType.Int64)));
        using (resnet50)
            rows.AddRange(Rows("ResNet-50 (random weights, 3x224x224)", resnet50, images, labels));
        LibTorchSwitches.Use(CpuKernels.Policy.Backend);
        return string.Join("\n", rows);
    }

    static List<string> Rows(string name, nn.Module<Tensor, Tensor> model, Tensor images, Tensor labels)
    {
        model.eval();
        long count = images.shape[0], perCall = Math.Min(32, count);
        var parameters = model.parameters().ToArray();
        var profiler = new SaliencyProfiler(model, new ProfilerOptions { Engine = ProfileEngine.Batched, BatchSize = (int)Math.Min(64, count) });
        void Train()
        {
            for (long start = 0; start < count; start += perCall)
            {
                using var scope = NewDisposeScope();
                var loss = nn.functional.cross_entropy(model.call(images.narrow(0, start, Math.Min(perCall, count - start))), labels.narrow(0, start, Math.Min(perCall, count - start)));
                autograd.grad([loss], parameters);
            }
        }
        var work = new (string Name, Action Run)[] { ("profile", () => profiler.Profile(images, labels).Dispose()), ("train step", Train) };
        var rates = new Dictionary<(string, ConvolutionBackend), List<double>>();
        foreach (var backend in Backends) // warm-up: each backend's primitives created, the profiler's check built
        {
            LibTorchSwitches.Use(backend);
            foreach (var (_, run) in work) run();
        }
        for (int repeat = 0; repeat < Repeats; repeat++)
            foreach (var backend in Backends.Skip(repeat % Backends.Length).Concat(Backends.Take(repeat % Backends.Length))) // each first in turn
            {
                LibTorchSwitches.Use(backend);
                foreach (var (workName, run) in work)
                {
                    var clock = Stopwatch.StartNew();
                    run();
                    (rates.TryGetValue((workName, backend), out var list) ? list : rates[(workName, backend)] = []).Add(count / clock.Elapsed.TotalSeconds);
                }
            }
        var rows = new List<string>();
        foreach (var (workName, _) in work)
        {
            double[] medians = Backends.Select(b => rates[(workName, b)].Order().ElementAt(Repeats / 2)).ToArray();
            string row = $"| {name} | {count} | {workName} | {string.Join(" | ", medians.Select(m => m.ToString(m < 10 ? "F2" : "F0")))} | {medians[1] / medians[0]:F2} |";
            Console.Error.WriteLine(row);
            rows.Add(row);
        }
        return rows;
    }
}
