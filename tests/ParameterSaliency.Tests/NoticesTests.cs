using ParameterSaliency.Models;
using ParameterSaliency.Runtime;
using ParameterSaliency.Saliency;

namespace ParameterSaliency.Tests;

/// <summary>The library says what it does through <see cref="Notices"/>, never on the console. Runs alone: it redirects the process's standard error.</summary>
[Collection(Alone.Name)]
public class NoticesTests
{
    [Fact]
    public void A_stale_cache_is_announced_to_the_notice_writer_and_not_on_the_console()
    {
        using var model = TinyModels.Build(ResNetConfig.CifarResNet18(width: 8), seed: 61);
        using var other = TinyModels.Build(ResNetConfig.CifarResNet18(width: 8), seed: 62);
        using var data = TinyModels.Dataset(6, 28, seed: 3);
        string path = Path.Combine(Directory.CreateTempSubdirectory().FullName, "stats.safetensors");
        SaliencyStatistics.Compute(new SaliencyProfiler(other), data).Save(path); // another model's statistics in the cache

        var console = new StringWriter();
        var notices = new StringWriter();
        var (previousError, previousNotices) = (Console.Error, Notices.Writer);
        try
        {
            Console.SetError(console);
            Notices.Writer = notices;
            var statistics = SaliencyStatistics.LoadOrCompute(path, new SaliencyProfiler(model), data);
            Assert.Equal(6, statistics.Count);
        }
        finally
        {
            Console.SetError(previousError);
            Notices.Writer = previousNotices;
        }
        Assert.Contains("Not using the cached statistics", notices.ToString());
        Assert.Contains("another model", notices.ToString());
        Assert.Equal("", console.ToString());
    }
}
