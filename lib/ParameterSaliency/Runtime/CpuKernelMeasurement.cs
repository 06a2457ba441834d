using System.Diagnostics;
using ParameterSaliency.Models;
using ParameterSaliency.Saliency;
using TorchSharp;
using static TorchSharp.torch;

namespace ParameterSaliency.Runtime;

/// <summary>
/// What one process measures about libtorch's CPU kernels under the oneDNN ISA cap it was started
/// with (oneDNN reads <c>ONEDNN_MAX_CPU_ISA</c> once, so each cap needs its own process): the
/// batched engine's and the loop's float32 filter-wise profiles s(x, y) against a float64 loop (the
/// definition, computed without oneDNN), the batched engine against the loop, and the batched
/// engine's speed on the default architecture.
/// </summary>
/// <param name="Isa">The cap in force (<c>ALL</c>: none).</param>
/// <param name="BatchedMedianError">Median over images of the per-image relative L1 error of the batched engine's s against float64.</param>
/// <param name="BatchedWorstError">Largest such error.</param>
/// <param name="LoopMedianError">The same median for the per-image loop.</param>
/// <param name="BatchedVersusLoopMedian">Median relative L1 difference between the batched engine and the loop.</param>
/// <param name="BatchedImagesPerSecond">Batched-engine throughput, default architecture (width 16, 1x28x28), 8 images per pass, best of 9 repetitions, on the threads the process has (one when measured for <see cref="CpuKernelPolicy"/>).</param>
public sealed record CpuKernelMeasurement(
    string Isa, double BatchedMedianError, double BatchedWorstError, double LoopMedianError,
    double BatchedVersusLoopMedian, double BatchedImagesPerSecond)
{
    /// <summary>
    /// Median relative L1 error against float64 up to which kernels count as correct. Measured:
    /// right kernels give 1e-7..1e-6 (a few rows up to 1e-5); the faulty AVX-512 kernels of the AMD
    /// EPYC machines were off by 1e-2..3e-1 or NaN.
    /// </summary>
    public const double CorrectMedian = 1e-4;

    /// <summary>Why the measurement failed (the child process crashed or hung), if it did; such a cap counts as wrong.</summary>
    public string? Failure { get; init; }

    /// <summary>True when both engines match the float64 reference and each other.</summary>
    public bool Correct =>
        Failure is null && double.IsFinite(BatchedWorstError) &&
        BatchedMedianError <= CorrectMedian && LoopMedianError <= CorrectMedian && BatchedVersusLoopMedian <= CorrectMedian;

    /// <summary>Runs the measurement in this process (a few seconds).</summary>
    public static CpuKernelMeasurement Run()
    {
        NativeTorch.EnsureLoaded();
        using var scope = NewDisposeScope();
        using var model = SeededModel(width: 8, seed: 7);
        using var reference = SeededModel(width: 8, seed: 7);
        reference.to(ScalarType.Float64);
        manual_seed(11);
        var images = randn(16, 1, 28, 28);
        var labels = randint(0, 10, [16], dtype: ScalarType.Int64);

        var options = new ProfilerOptions { BatchSize = 8 };
        using var exact = new SaliencyProfiler(reference, options with { Engine = ProfileEngine.Loop }).Profile(images.to(ScalarType.Float64), labels);
        using var loop = new SaliencyProfiler(model, options with { Engine = ProfileEngine.Loop }).Profile(images, labels);
        var batched = Batched(model, images, labels);

        var batchedErrors = ProfileDifferences.Rows(batched, exact.Values);
        return new CpuKernelMeasurement(
            CpuKernels.MaxIsa ?? "ALL",
            Median(batchedErrors), batchedErrors.Max(), Median(ProfileDifferences.Rows(loop.Values, exact.Values)),
            Median(ProfileDifferences.Rows(batched, loop.Values)), BatchedThroughput());
    }

    static double BatchedThroughput()
    {
        using var scope = NewDisposeScope();
        using var model = SeededModel(width: 16, seed: 3);
        manual_seed(5);
        var images = randn(16, 1, 28, 28);
        var labels = randint(0, 10, [16], dtype: ScalarType.Int64);
        Batched(model, images, labels).Dispose(); // warm-up
        // The best of several repetitions: a process starting beside it (a test host, a build) only slows some.
        double best = double.MaxValue;
        for (int repeat = 0; repeat < 9; repeat++)
        {
            var clock = Stopwatch.StartNew();
            Batched(model, images, labels).Dispose();
            best = Math.Min(best, clock.Elapsed.TotalSeconds);
        }
        return images.shape[0] / best;
    }

    /// <summary>The batched engine's profiles, 8 images per pass, with no self-check against the loop.</summary>
    static Tensor Batched(ResNet model, Tensor images, Tensor labels)
    {
        var engine = BatchedEngine.TryCreate(model, ProfileLayout.For(model, Aggregation.FilterWise), out _)!;
        using var scope = NewDisposeScope();
        var rows = new List<Tensor>();
        for (long start = 0; start < images.shape[0]; start += 8)
        {
            long size = Math.Min(8, images.shape[0] - start);
            rows.Add(engine.Profile(images.narrow(0, start, size), labels.narrow(0, start, size)));
        }
        return cat(rows, 0).MoveToOuterDisposeScope();
    }

    /// <summary>A CIFAR-style ResNet-18 with seeded weights and non-trivial BatchNorm running statistics, in eval mode.</summary>
    static ResNet SeededModel(int width, int seed)
    {
        manual_seed(seed);
        var model = new ResNet(ResNetConfig.CifarResNet18(inChannels: 1, width: width));
        using (no_grad())
        {
            foreach (var (name, buffer) in model.named_buffers())
            {
                if (name.EndsWith("running_mean", StringComparison.Ordinal)) buffer.copy_(randn_like(buffer) * 0.1);
                if (name.EndsWith("running_var", StringComparison.Ordinal)) buffer.copy_(rand_like(buffer) + 0.5);
            }
        }
        model.eval();
        return model;
    }

    static double Median(double[] values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }
}
