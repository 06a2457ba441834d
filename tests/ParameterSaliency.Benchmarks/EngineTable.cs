using System.Diagnostics;
using ParameterSaliency.Saliency;
using static TorchSharp.torch;

/// <summary>
/// Per-sample profiles of one model, ours (loop, batched, Auto's choice) against Debian's PyTorch (loop with the
/// authors' semantics, functorch vmap(grad) at 8 and 32 per call), and the training step of both (forward + backward
/// of the batch loss, 32 per call): all on the same weights and images, in one run, each the median of
/// <see cref="Repeats"/> timed runs after a warm-up, as one Markdown row.
/// </summary>
internal static class EngineTable
{
    public const int Repeats = 3;

    public const string Header =
        "| model | input | images | ours: loop | ours: batched | ours: Auto (engine) | PyTorch: loop | PyTorch: vmap 8 | PyTorch: vmap 32 | ours Auto / PyTorch best | train step ours / PyTorch | ours Auto / our train step | peak RSS of our profiles |\n" +
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|";

    /// <summary>The row, and PyTorch's rates (null without Debian's python3-torch).</summary>
    public static (string Row, PyTorchRates? PyTorch) Row(string folder, string name, string input, string arch, nn.Module<Tensor, Tensor> model, Tensor images, Tensor labels, bool loopOnly = false)
    {
        model.eval();
        var pytorch = PyTorchRates.Measure(folder, name.Split(' ')[0], arch, model, images, labels, loopOnly ? "loop,train" : "loop,vmap8,vmap32,train", Repeats, out string? reason);
        var auto = new SaliencyProfiler(model);
        long before = Process.GetCurrentProcess().WorkingSet64, peak = before;
        double autoRate;
        using (new Timer(_ => peak = Math.Max(peak, Process.GetCurrentProcess().WorkingSet64), null, 0, 50))
            autoRate = Rate(images, labels, auto);
        double loopRate = Rate(images, labels, new SaliencyProfiler(model, new ProfilerOptions { Engine = ProfileEngine.Loop }));
        double batchedRate = loopOnly ? double.NaN : Rate(images, labels, new SaliencyProfiler(model, new ProfilerOptions { Engine = ProfileEngine.Batched }));
        double trainRate = TrainRate(model, images, labels);
        string F(double value) => double.IsNaN(value) ? "–" : value.ToString("F0");
        string R(double value) => double.IsNaN(value) ? "–" : value.ToString("F2");
        string row = $"| {name} | {input} | {images.shape[0]} | {F(loopRate)} | {F(batchedRate)} | {F(autoRate)} ({auto.Engine}) | " +
                     $"{F(pytorch?.Loop ?? double.NaN)} | {F(pytorch?.Vmap8 ?? double.NaN)} | {F(pytorch?.Vmap32 ?? double.NaN)} | " +
                     $"{R(autoRate / (pytorch?.Best ?? double.NaN))} | {F(trainRate)} / {F(pytorch?.Train ?? double.NaN)} | {R(autoRate / trainRate)} | {(peak - before) / 1e6:F0} MB |";
        Console.Error.WriteLine(row + (reason is null ? "" : $" ({reason})") + $"\n  Auto: {auto.EngineReason}");
        return (row, pytorch);
    }

    /// <summary>Median images per second of profiling all <paramref name="images"/>, after a warm-up on the first batch (where Auto decides).</summary>
    static double Rate(Tensor images, Tensor labels, SaliencyProfiler profiler)
    {
        int warmUp = Math.Min((int)images.shape[0], Math.Max(profiler.Options.BatchSize, 2));
        profiler.Profile(images.narrow(0, 0, warmUp), labels.narrow(0, 0, warmUp)).Dispose();
        return Median(() => profiler.Profile(images, labels).Dispose(), images.shape[0]);
    }

    /// <summary>Forward + backward of the mean loss, 32 images per call (the ceiling of any per-sample engine).</summary>
    static double TrainRate(nn.Module<Tensor, Tensor> model, Tensor images, Tensor labels)
    {
        var parameters = model.parameters().ToArray();
        void Step(long start, long size)
        {
            using var scope = NewDisposeScope();
            var loss = nn.functional.cross_entropy(model.call(images.narrow(0, start, size)), labels.narrow(0, start, size));
            autograd.grad([loss], parameters);
        }
        long count = images.shape[0], perCall = Math.Min(32, count);
        Step(0, perCall);
        return Median(() =>
        {
            for (long start = 0; start < count; start += perCall) Step(start, Math.Min(perCall, count - start));
        }, count);
    }

    static double Median(Action run, long images)
    {
        var rates = new List<double>();
        for (int i = 0; i < Repeats; i++)
        {
            var clock = Stopwatch.StartNew();
            run();
            rates.Add(images / clock.Elapsed.TotalSeconds);
        }
        return rates.Order().ElementAt(Repeats / 2);
    }
}
