using System.Diagnostics;
using System.Text.RegularExpressions;
using ParameterSaliency.Models;
using ParameterSaliency.Runtime;
using ParameterSaliency.Saliency;

namespace ParameterSaliency.Tests;

/// <summary>
/// Native memory stays flat over repeated calls: every TorchSharp loop runs in a dispose scope. The resident set is the
/// whole process's, so each measurement runs in a child process of its own (<see cref="Growth"/>), where no other test
/// allocates meanwhile, and this class runs beside the others.
/// </summary>
[ExpectedSeconds(53)]
public class MemoryTests
{
    [Theory]
    [InlineData(ProfileEngine.Loop)]
    [InlineData(ProfileEngine.Batched)]
    public void A_thousand_profile_calls_do_not_grow_native_memory(ProfileEngine engine)
    {
        long growth = GrowthInAProcessOfItsOwn($"profiles-{engine}");
        // Without dispose scopes each call leaks its activations (~1 MB here): 500 calls would add about 500 MB.
        Assert.True(growth < 48L << 20, $"resident memory grew by {growth >> 20} MB over 500 calls after 1,000 warm-up calls");
    }

    static long ProfileCalls(ProfileEngine engine)
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
        return ResidentGrowth(Calls, warmUp: 1000, measured: 500);
    }

    [Fact]
    public void Heatmaps_batched_heatmaps_and_fine_tuning_steps_do_not_grow_native_memory()
    {
        long growth = GrowthInAProcessOfItsOwn("heatmaps-and-steps");
        // A leaked double-backward graph is several MB per call: 100 calls would add hundreds of MB.
        Assert.True(growth < 64L << 20, $"resident memory grew by {growth >> 20} MB over 100 heatmaps and steps");
    }

    static long HeatmapAndStepCalls()
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
        return ResidentGrowth(Calls, warmUp: 20, measured: 100);
    }

    [Fact]
    public void A_planted_leak_is_measured_in_the_child()
    {
        // The measurement itself can fail: 100 tensors of 1 MB kept alive over the measured calls.
        long growth = GrowthInAProcessOfItsOwn("planted-leak");
        Assert.True(growth > 64L << 20, $"a leak of 100 MB was measured as {growth >> 20} MB");
    }

    static long PlantedLeak()
    {
        var kept = new List<TorchSharp.torch.Tensor>();
        void Calls(int count)
        {
            for (int i = 0; i < count; i++) kept.Add(TorchSharp.torch.ones(1 << 18).DetachFromDisposeScope());
        }
        return ResidentGrowth(Calls, warmUp: 10, measured: 100);
    }

    /// <summary>Runs <see cref="Growth"/> in a fresh process (one libtorch thread, as here) and reads its answer.</summary>
    static long GrowthInAProcessOfItsOwn(string scenario)
    {
        var result = ChildProcess.Run(typeof(MemoryTests), nameof(Growth), [scenario], new Dictionary<string, string>(), TimeSpan.FromMinutes(10));
        var growth = Regex.Match(result.Output, @"^resident growth (-?\d+) bytes$", RegexOptions.Multiline);
        Assert.True(result.ExitCode == 0 && growth.Success, $"the {scenario} child failed ({result.ExitCode}):\n{result.Output}\n{result.Error}");
        return long.Parse(growth.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>Child entry point: measures one scenario's resident growth and prints it.</summary>
    internal static int Growth(string[] arguments)
    {
        long growth = arguments.Single() switch
        {
            "profiles-Loop" => ProfileCalls(ProfileEngine.Loop),
            "profiles-Batched" => ProfileCalls(ProfileEngine.Batched),
            "heatmaps-and-steps" => HeatmapAndStepCalls(),
            "planted-leak" => PlantedLeak(),
            var other => throw new ArgumentException($"no memory scenario {other}"),
        };
        Console.WriteLine($"resident growth {growth} bytes");
        return 0;
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
