using ParameterSaliency.Data;
using ParameterSaliency.Models;
using ParameterSaliency.Saliency;
using static TorchSharp.torch;

namespace ParameterSaliency.Tests;

/// <summary>
/// Statistics record the guard their profiles were computed under (<see cref="SaliencyStatistics.Guard"/>): a cache made
/// under <see cref="KinkGuard.Flag"/> (rows near a ReLU kink left in float32) is recomputed for a profiler that checks
/// them, while a checked cache serves a flagging profiler; files that record nothing are exact, and stay byte for byte
/// what they were.
/// </summary>
public class GuardedStatisticsCacheTests
{
    static readonly int[] Images = [.. Enumerable.Range(0, 96)];

    [Fact]
    public void A_flagged_cache_is_recomputed_for_an_exact_profiler_and_an_exact_cache_serves_a_flagging_one()
    {
        using var scope = NewDisposeScope();
        using var saved = ModelFile.Load(WorkbookPaths.DefaultModel, CPU);
        var exact = new SaliencyProfiler(saved.Model);
        var flag = new SaliencyProfiler(saved.Model, new ProfilerOptions { Guard = KinkGuard.Flag });
        string folder = Directory.CreateTempSubdirectory("guarded-statistics-").FullName;
        try
        {
            string path = Path.Combine(folder, "statistics.safetensors");
            var log = new StringWriter();
            int computed = 0;
            SaliencyStatistics Get(SaliencyProfiler profiler) =>
                SaliencyStatistics.LoadOrCompute(path, profiler, SharedData.TestSplit, log: log, indices: Images, computing: () => computed++);

            Assert.Equal(KinkGuard.Flag, Get(flag).Guard);
            Assert.Equal(KinkGuard.Flag, SaliencyStatistics.Load(path).Guard);
            Assert.Equal(KinkGuard.Flag, Get(flag).Guard); // its own kind of cache is used
            Assert.Equal(1, computed);

            Assert.Equal(KinkGuard.Exact, Get(exact).Guard);
            Assert.Equal(2, computed);
            Assert.Contains("KinkGuard.Flag", log.ToString());

            Assert.Equal(KinkGuard.Exact, Get(flag).Guard); // the checked statistics serve a profiler that only flags
            Assert.Equal(2, computed);
            Assert.DoesNotContain("\"guard\"", File.ReadAllText(path)[..4096]); // exact files record nothing new
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
