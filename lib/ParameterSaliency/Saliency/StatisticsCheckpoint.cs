using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using ParameterSaliency.Data;
using ParameterSaliency.Serialization;
using static TorchSharp.torch;

namespace ParameterSaliency.Saliency;

/// <summary>
/// The state of an unfinished statistics pass, so that an interrupted pass resumes from its last completed chunk:
/// the accumulator (count, μ, M2 in float64), the images done and their data fingerprint, written atomically
/// beside the statistics file as <c>&lt;file&gt;.partial</c>. It carries a key of what it was computed for (the
/// model, the profiler's options, the data set and the planned images); a checkpoint of anything else, or a
/// damaged one, is ignored with a notice and replaced. Chunks are the same in a resumed pass, so the result is
/// bit-identical to an uninterrupted pass.
/// </summary>
internal sealed class StatisticsCheckpoint(string path, string key)
{
    /// <summary>The checkpoint of statistics file <paramref name="statisticsPath"/>.</summary>
    public static StatisticsCheckpoint For(string statisticsPath, SaliencyProfiler profiler, IImageSource data, IReadOnlyList<int> chosen)
    {
        var identity = new StringBuilder()
            .AppendLine(profiler.ModelFingerprint)
            .AppendLine(profiler.Layout.Aggregation.ToString())
            .AppendLine(profiler.Engine.ToString())
            .AppendLine(profiler.Options.BatchSize.ToString(CultureInfo.InvariantCulture))
            .AppendLine(profiler.Options.Guard.ToString())
            .AppendLine(profiler.Layout.Length.ToString(CultureInfo.InvariantCulture))
            .AppendLine(data.Identity)
            .AppendLine(string.Join(",", chosen));
        return new(statisticsPath + ".partial", Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(identity.ToString()))));
    }

    public string Path { get; } = path;

    /// <summary>The saved state when it belongs to this pass; null otherwise (and why, on <paramref name="log"/>).</summary>
    public (StatisticsAccumulator Accumulator, DataFingerprint Fingerprint, int Done, ProfileEngine Engine)? TryRead(TextWriter log)
    {
        if (!File.Exists(Path)) return null;
        try
        {
            using var content = SafeTensors.Read(Path);
            if (content.Metadata.GetValueOrDefault("kind") != Kind) throw new InvalidDataException("it is not a statistics checkpoint");
            if (content.Metadata.GetValueOrDefault("key") != key) throw new InvalidDataException("it belongs to another model, data set, option or image selection");
            var accumulator = new StatisticsAccumulator(content["mean"].data<double>().ToArray(), content["m2"].data<double>().ToArray(), content["count"].item<long>());
            int done = int.Parse(content.Metadata["done"], CultureInfo.InvariantCulture);
            var engine = Enum.Parse<ProfileEngine>(content.Metadata["engine"]);
            return (accumulator, DataFingerprint.Parse(content.Metadata["data_fingerprint"]), done, engine);
        }
        catch (Exception e) when (e is InvalidDataException or KeyNotFoundException or FormatException or ArgumentException)
        {
            log.WriteLine($"Not resuming from {Path}: {e.Message}. Starting over.");
            return null;
        }
    }

    /// <summary>Writes the state after <paramref name="done"/> planned images, atomically.</summary>
    public void Write(StatisticsAccumulator accumulator, DataFingerprint fingerprint, int done, ProfileEngine engine)
    {
        using var scope = NewDisposeScope();
        SafeTensors.Write(Path, new Dictionary<string, Tensor>
        {
            ["mean"] = tensor(accumulator.Mean.ToArray(), ScalarType.Float64),
            ["m2"] = tensor(accumulator.M2.ToArray(), ScalarType.Float64),
            ["count"] = tensor(accumulator.Count, ScalarType.Int64),
        }, new Dictionary<string, string>
        {
            ["kind"] = Kind,
            ["key"] = key,
            ["done"] = done.ToString(CultureInfo.InvariantCulture),
            ["data_fingerprint"] = fingerprint.ToString(),
            ["engine"] = engine.ToString(), // the engine Auto measured and used: a resumed pass goes on with it
        });
    }

    public void Delete()
    {
        if (File.Exists(Path)) File.Delete(Path);
    }

    const string Kind = "parameter-saliency-statistics-checkpoint/2";
}
