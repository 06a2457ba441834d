using ParameterSaliency.Data;
using ParameterSaliency.Evaluation;
using ParameterSaliency.Experiments;
using ParameterSaliency.InputSpace;
using static TorchSharp.torch;

namespace ParameterSaliency.Trust;

/// <summary>
/// Localisation against the planted cue (SPEC §9), on the model trained with it: test images outside the cue class are
/// stamped with the cue, and those the stamp turns to the cue class (and not before) are explained. Metrics:
/// the pointing game (<c>hit_rate</c>: a tie counted as a hit when any top pixel is in the cue; <c>hit_rate_pessimistic</c>:
/// only when all are), relevance rank accuracy (<c>rra</c>) and relevance mass accuracy (<c>rma</c>), see <see cref="Localisation"/>.
/// </summary>
/// <param name="methods">Heatmap methods (others are skipped), built for the cue model.</param>
/// <param name="cue">The cue the model was trained with.</param>
public sealed class CueLocalisationTest(IReadOnlyList<ExplanationMethod> methods, PlantedCue cue)
{
    /// <summary>Test name in <c>sanity.csv</c>.</summary>
    public const string Name = "localisation";

    /// <summary>Explains up to <paramref name="maxImages"/> turned images with every heatmap method and records the metrics.</summary>
    /// <param name="cueModel">The model trained with the cue planted.</param>
    /// <param name="test">The test split (unstamped).</param>
    /// <param name="maxImages">Most turned images, at least 1.</param>
    /// <param name="measurements">Where the rows go.</param>
    /// <returns>How many images were turned, and how many were explained.</returns>
    public (int Turned, int Explained) Run(nn.Module<Tensor, Tensor> cueModel, ImageDataset test, int maxImages, TrustMeasurements measurements)
    {
        if (maxImages < 1) throw new ArgumentOutOfRangeException(nameof(maxImages), maxImages, "At least one image.");
        var (_, height, width) = test.ImageShape;
        var box = RegionMask.From(cue.BoxMask(height, width), "planted cue");
        int[] candidates = Enumerable.Range(0, test.Count).Where(i => test.LabelArray[i] != cue.CueClass).ToArray();
        using var unstamped = test.Subset(candidates);
        using var stamped = new ImageDataset(test.Name + " (cue stamped)", cue.Stamp(unstamped.Images, test.Normalization), unstamped.Labels.clone(), test.ClassNames, test.Normalization);
        int[] turned = cue.Turned(cueModel, unstamped.Images, stamped.Images).Turned;
        int[] used = turned.Take(maxImages).ToArray();
        if (used.Length == 0) return (0, 0);
        int[] sources = used.Select(i => candidates[i]).ToArray();
        foreach (var method in methods.Where(m => m.IsHeatmap))
        {
            var maps = method.Explain(cueModel, stamped, used);
            measurements.Add(Name, method.Name, 0, "hit_rate", sources, maps.Select(m => Localisation.PointingGame(m.Values, box).Optimistic ? 1.0 : 0.0).ToArray());
            measurements.Add(Name, method.Name, 0, "hit_rate_pessimistic", sources, maps.Select(m => Localisation.PointingGame(m.Values, box).Pessimistic ? 1.0 : 0.0).ToArray());
            measurements.Add(Name, method.Name, 0, "rra", sources, maps.Select(m => Localisation.RelevanceRankAccuracy(m.Values, box)).ToArray());
            measurements.Add(Name, method.Name, 0, "rma", sources, maps.Select(m => Localisation.RelevanceMassAccuracy(m.Values, box)).ToArray());
        }
        return (turned.Length, used.Length);
    }
}
