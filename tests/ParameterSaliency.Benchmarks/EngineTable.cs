using System.Diagnostics;
using ParameterSaliency.Saliency;
using static TorchSharp.torch;

/// <summary>
/// Per-sample profiles of one model, ours (loop, batched, Auto's choice) against Debian's PyTorch (loop with the
/// authors' semantics, functorch vmap(grad) at 8 and 32 per call), and the training step of both (forward + backward
/// of the batch loss, 32 per call): all on the same weights and images, in one run, each the median of
/// <see cref="Repeats"/> timed runs after a warm-up (ours in turns), as one Markdown row.
/// </summary>
internal static class EngineTable
{
    public const int Repeats = 4;

    public const string Header =
        "| model | input | images | ours: loop | ours: batched | ours: Auto (engine) | PyTorch: loop | PyTorch: vmap 8 | PyTorch: vmap 32 | ours Auto / PyTorch best | train step ours / PyTorch | ours Auto / our train step |\n" +
        "|---|---|---|---|---|---|---|---|---|---|---|---|";

    /// <summary>The row, and PyTorch's rates (null without Debian's python3-torch).</summary>
    public static (string Row, PyTorchRates? PyTorch) Row(string folder, string name, string input, string arch, nn.Module<Tensor, Tensor> model, Tensor images, Tensor labels, bool loopOnly = false)
    {
        model.eval();
        var pytorch = PyTorchRates.Measure(folder, name.Split(' ')[0], arch, model, images, labels, loopOnly ? "loop,train" : "loop,vmap8,vmap32,train", Repeats, out string? reason);
        // Ours: every engine warmed up (Auto decides on its first batch), then timed in turns, so that the machine's
        // noise falls on all of them alike; each rate is the median of its turns.
        var auto = new SaliencyProfiler(model);
        var loop = new SaliencyProfiler(model, new ProfilerOptions { Engine = ProfileEngine.Loop });
        var batched = loopOnly ? null : new SaliencyProfiler(model, new ProfilerOptions { Engine = ProfileEngine.Batched });
        var parameters = model.parameters().ToArray();
        long count = images.shape[0], perCall = Math.Min(32, count);
        void TrainStep(long start, long size)
        {
            using var scope = NewDisposeScope();
            var loss = nn.functional.cross_entropy(model.call(images.narrow(0, start, size)), labels.narrow(0, start, size));
            autograd.grad([loss], parameters);
        }
        var work = new List<(string Name, Action Run)>
        {
            ("auto", () => auto.Profile(images, labels).Dispose()),
            ("loop", () => loop.Profile(images, labels).Dispose()),
            ("train", () => { for (long start = 0; start < count; start += perCall) TrainStep(start, Math.Min(perCall, count - start)); }),
        };
        if (batched is not null) work.Add(("batched", () => batched.Profile(images, labels).Dispose()));
        foreach (var profiler in new[] { auto, loop, batched }.OfType<SaliencyProfiler>())
        {
            int warmUp = (int)Math.Min(count, Math.Max(profiler.Options.BatchSize, 2));
            profiler.Profile(images.narrow(0, 0, warmUp), labels.narrow(0, 0, warmUp)).Dispose();
        }
        TrainStep(0, perCall);
        var rates = work.ToDictionary(w => w.Name, _ => new List<double>());
        for (int repeat = 0; repeat < Repeats; repeat++)
            foreach (var (workName, run) in work.Skip(repeat % work.Count).Concat(work.Take(repeat % work.Count))) // each first in turn
            {
                var clock = Stopwatch.StartNew();
                run();
                rates[workName].Add(count / clock.Elapsed.TotalSeconds);
            }
        double Median(string workName) => rates.TryGetValue(workName, out var values) ? values.Order().ElementAt(values.Count / 2) : double.NaN;
        double autoRate = Median("auto"), loopRate = Median("loop"), batchedRate = Median("batched"), trainRate = Median("train");
        string F(double value) => double.IsNaN(value) ? "–" : value.ToString("F0");
        string R(double value) => double.IsNaN(value) ? "–" : value.ToString("F2");
        string row = $"| {name} | {input} | {images.shape[0]} | {F(loopRate)} | {F(batchedRate)} | {F(autoRate)} ({auto.Engine}) | " +
                     $"{F(pytorch?.Loop ?? double.NaN)} | {F(pytorch?.Vmap8 ?? double.NaN)} | {F(pytorch?.Vmap32 ?? double.NaN)} | " +
                     $"{R(autoRate / (pytorch?.Best ?? double.NaN))} | {F(trainRate)} / {F(pytorch?.Train ?? double.NaN)} | {R(autoRate / trainRate)} |";
        Console.Error.WriteLine(row + (reason is null ? "" : $" ({reason})") + $"\n  Auto: {auto.EngineReason}");
        return (row, pytorch);
    }

}
