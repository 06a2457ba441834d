using System.Diagnostics;
using ParameterSaliency.Models;
using ParameterSaliency.Saliency;

namespace ParameterSaliency.Tests;

/// <summary>Runs alone, after the parallel tests: the resident set is the whole process's, so other tests must not allocate meanwhile.</summary>
[CollectionDefinition(nameof(MemoryTests), DisableParallelization = true)]
public sealed class MemoryTestsCollection;

/// <summary>Native memory stays flat over repeated calls: every TorchSharp loop runs in a dispose scope.</summary>
[Collection(nameof(MemoryTests))]
public class MemoryTests
{
    [Theory]
    [InlineData(ProfileEngine.Loop)]
    [InlineData(ProfileEngine.Batched)]
    public void A_thousand_profile_calls_do_not_grow_native_memory(ProfileEngine engine)
    {
        using var model = TinyModels.Build(ResNetConfig.CifarResNet18(width: 8), seed: 3);
        var profiler = new SaliencyProfiler(model, new ProfilerOptions { Engine = engine });
        var (images, labels) = TinyModels.Inputs(2, 1, 28, 10, seed: 1);
        void Calls(int count)
        {
            for (int i = 0; i < count; i++) profiler.Profile(images, labels).Dispose();
        }
        // The warm-up fills libtorch's and the allocator's caches: on an Intel Xeon the resident set grows by
        // about 110 MB over the first 1,100 batched calls and then stays flat (measured: -4..+6 MB per further 1,000).
        long growth = ResidentGrowth(Calls, warmUp: 1000, measured: 500);
        // Without dispose scopes each call leaks its activations (~1 MB here): 500 calls would add about 500 MB.
        Assert.True(growth < 48L << 20, $"resident memory grew by {growth >> 20} MB over 500 calls after 1,000 warm-up calls");
    }

    [Fact]
    public void Heatmaps_batched_heatmaps_and_fine_tuning_steps_do_not_grow_native_memory()
    {
        using var model = TinyModels.Build(ResNetConfig.CifarResNet18(width: 8), seed: 4);
        using var data = TinyModels.Dataset(8, 28, seed: 2);
        var statistics = SaliencyStatistics.Compute(new SaliencyProfiler(model), data);
        var explainer = new InputSpace.InputSpaceSaliency(model, statistics);
        var tuner = new FineTuning.FilterFineTuner(model);
        void Calls(int count)
        {
            for (int i = 0; i < count; i++)
            {
                explainer.Explain(data, i % 8);
                if (i % 10 == 0) explainer.Explain(data, Enumerable.Range(0, 8).ToArray()); // batched: one double backward for 8
                tuner.WithStep(data, i % 8, [1, 50, 400], 1e-3, () => 0);
            }
        }
        long growth = ResidentGrowth(Calls, warmUp: 20, measured: 100);
        // A leaked double-backward graph is several MB per call: 100 calls would add hundreds of MB.
        Assert.True(growth < 64L << 20, $"resident memory grew by {growth >> 20} MB over 100 heatmaps and steps");
    }

    /// <summary>Resident-set growth over <paramref name="measured"/> calls after <paramref name="warmUp"/> calls (allocator caches, JIT).</summary>
    static long ResidentGrowth(Action<int> calls, int warmUp, int measured)
    {
        calls(warmUp);
        GC.Collect();
        GC.WaitForPendingFinalizers();
        long before = Process.GetCurrentProcess().WorkingSet64;
        calls(measured);
        GC.Collect();
        GC.WaitForPendingFinalizers();
        return Process.GetCurrentProcess().WorkingSet64 - before;
    }
}
