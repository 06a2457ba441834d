using ParameterSaliency.Data;
using ParameterSaliency.Models;
using ParameterSaliency.Saliency;
using static TorchSharp.torch;

namespace ParameterSaliency.Tests;

/// <summary>
/// The default model's float32 profiles of the first 1,024 test images as <c>saliency stats</c> computes them (Auto
/// engine, default batch, passes after the first on two lanes as on 2 cores), once per test process (so once per oneDNN ISA cap), our float64 engine's
/// profiles of them (native double kernels, which no cap touches), also once per process, and PyTorch's float64 and float32 profiles of the same images from
/// <c>tests/reference/first_images_reference.py</c>.
/// </summary>
public sealed class FirstImages
{
    /// <summary>Test images 0-1023.</summary>
    public static readonly int[] Indices = Enumerable.Range(0, 1024).ToArray();

    // One profile per test process, shared by every class that uses the fixture (UnsettledReluTests, PinnedReluTests), kept
    // until the process ends (5 MB).
    static readonly Lazy<(SaliencyProfiles Profiles, double Seconds, int PassesOnLanes)> ours = new(() =>
    {
        using var saved = ModelFile.Load(WorkbookPaths.DefaultModel, CPU);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var profiler = new SaliencyProfiler(saved.Model) { LanesForced = true }; // as on 2 cores: this process has one libtorch thread
        var profiles = profiler.Profile(SharedData.TestSplit, Indices);
        return (profiles, clock.Elapsed.TotalSeconds, profiler.PassesOnLanes);
    });

    // Both 1,024-image tests compare with them: computed once per process instead of once per test (about 8 s each).
    static readonly Lazy<SaliencyProfiles> float64 = new(() => UnsettledReluTests.Float64Profiles(Indices));

    readonly Lazy<PythonReference> pytorch = new(() => PythonReference.Make("first_images_reference.py"));

    /// <summary>Our float32 profiles.</summary>
    public SaliencyProfiles Profiles => ours.Value.Profiles;
    /// <summary>How long they took.</summary>
    public double Seconds => ours.Value.Seconds;
    /// <summary>How many of their passes ran on two lanes (<see cref="ProfileLanes"/>): all but the first, as with 2 or more libtorch threads.</summary>
    public int PassesOnLanes => ours.Value.PassesOnLanes;
    /// <summary>Our float64 batched engine's profiles of the same images (kept until the process ends, 10 MB): the tests must not dispose them.</summary>
    public SaliencyProfiles Float64 => float64.Value;
    /// <summary>PyTorch's profiles (first-images.safetensors: float64, float32, labels), or why they are missing.</summary>
    public PythonReference PyTorch => pytorch.Value;
}
