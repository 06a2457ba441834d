using ParameterSaliency.Data;
using ParameterSaliency.Saliency;
using static TorchSharp.torch;

namespace ParameterSaliency.Imaging;

/// <summary>
/// The standardized profiles ŝ = (s − μ) / σ the page needs, computed a chunk of images at a time: each mistake's k
/// largest units and the size ‖ŝ‖ of its profile, and every unit's tally over the mistakes and over a sample of
/// correctly classified images.
/// </summary>
internal sealed class MistakeProfiles : IDisposable
{
    const int ImagesPerChunk = 256;

    MistakeProfiles(UnitTally mistakes, UnitTally correct) => (MistakeTally, CorrectTally) = (mistakes, correct);

    /// <summary>For each mistake, its k units of largest ŝ (profile index, ŝ), largest first.</summary>
    public List<(int Unit, float Z)[]> Top { get; } = [];
    /// <summary>For each mistake, ‖ŝ‖₂.</summary>
    public List<double> Size { get; } = [];
    /// <summary>Every unit over the mistakes.</summary>
    public UnitTally MistakeTally { get; }
    /// <summary>Every unit over the sample of correct images.</summary>
    public UnitTally CorrectTally { get; }

    public static MistakeProfiles Compute(SaliencyProfiler profiler, SaliencyStatistics statistics, ImageDataset data, IReadOnlyList<int> mistakes,
        IReadOnlyList<int> correct, int k, int largestPerUnit, IProgress<string>? progress)
    {
        int units = statistics.EntryNames.Count;
        var result = new MistakeProfiles(new UnitTally(units, largestPerUnit), new UnitTally(units, largestPerUnit));
        int total = mistakes.Count + correct.Count, done = 0;
        foreach (var (group, isMistake) in new[] { (mistakes, true), (correct, false) })
            for (int start = 0; start < group.Count; start += ImagesPerChunk)
            {
                using var scope = NewDisposeScope();
                int[] chunk = group.Skip(start).Take(ImagesPerChunk).ToArray();
                using var z = StandardizedProfiles.Of(profiler.Profile(data, chunk), statistics);
                if (isMistake)
                {
                    var (values, at) = z.Values.topk(Math.Min(k, units), dim: 1);
                    float[] topValues = values.data<float>().ToArray();
                    long[] topUnits = at.data<long>().ToArray();
                    int width = (int)values.shape[1];
                    for (int r = 0; r < chunk.Length; r++)
                        result.Top.Add(Enumerable.Range(0, width).Select(j => ((int)topUnits[r * width + j], topValues[r * width + j])).ToArray());
                    result.Size.AddRange(z.Values.to(ScalarType.Float64).norm(1).data<double>().ToArray());
                    result.MistakeTally.Add(z.Values, chunk);
                }
                else result.CorrectTally.Add(z.Values, chunk);
                done += chunk.Length;
                progress?.Report($"profiles {done}/{total} ({mistakes.Count} mistakes, {correct.Count} correct images for reference)");
            }
        return result;
    }

    public void Dispose()
    {
        MistakeTally.Dispose();
        CorrectTally.Dispose();
    }
}
