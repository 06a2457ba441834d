using ParameterSaliency.Data;
using ParameterSaliency.Evaluation;
using ParameterSaliency.InputSpace;
using ParameterSaliency.Saliency;
using static TorchSharp.torch;

namespace ParameterSaliency.Experiments;

/// <summary>
/// Ground truth for the paper's claim that parameter saliency finds the cause of a mistake: on a model
/// trained with a <see cref="PlantedCue"/>, stamp the marker on test images of the other classes, keep
/// those the marker turns into the cue class, and ask each input-space method where the cause is.
/// Per method: the pointing-game hit rate (the raw map's maximum inside the marker box; tied maxima share
/// the credit), the share of
/// the raw map's mass inside the box, and how often masking the method's top pixels (as many as the
/// box has, filled black) restores the unstamped prediction.
/// </summary>
public static class PlantedCueExperiment
{
    /// <summary>The methods compared, in table order.</summary>
    public static IReadOnlyList<string> Methods { get; } = ["boosted top-10 filters (parameter saliency)", "boosted random 10 filters (control)", "input gradient", "Grad-CAM"];

    /// <summary>Runs the experiment on the first <paramref name="maxImages"/> turned images (all when null).</summary>
    /// <param name="model">Classifier trained with <paramref name="cue"/> planted.</param>
    /// <param name="statistics">μ and σ of the model's saliency profiles, for the boosted-filter heatmaps; must belong to <paramref name="model"/>.</param>
    /// <param name="test">Test set; its images outside the cue class are stamped and explained.</param>
    /// <param name="cue">The planted cue the model was trained with.</param>
    /// <param name="maxImages">Most turned images to explain, at least 1; null explains all.</param>
    /// <param name="keepExamples">Heatmaps kept per method for the report (default 6).</param>
    /// <param name="progress">Receives (images explained, images to explain) after each batch; may be null.</param>
    public static PlantedCueReport Run(nn.Module<Tensor, Tensor> model, SaliencyStatistics statistics, ImageDataset test, PlantedCue cue,
        int? maxImages = null, int keepExamples = 6, IProgress<(int Done, int Total)>? progress = null)
    {
        if (maxImages is < 1) throw new ArgumentOutOfRangeException(nameof(maxImages), maxImages, "At least one image.");
        if (cue.CueClass < 0 || cue.CueClass >= test.ClassNames.Count) throw new ArgumentOutOfRangeException(nameof(cue), cue.CueClass, $"The cue class must lie in [0, {test.ClassNames.Count}).");
        var (channels, height, width) = test.ImageShape;
        var box = RegionMask.From(cue.BoxMask(height, width), "marker box");
        int[] candidates = Enumerable.Range(0, test.Count).Where(i => test.LabelArray[i] != cue.CueClass).ToArray();
        if (candidates.Length == 0) throw new ArgumentException($"{test.Name} has no image outside the cue class.");

        using var candidateSet = test.Subset(candidates);
        using var stampedImages = cue.Stamp(candidateSet.Images, test.Normalization);
        var (turned, before) = cue.Turned(model, candidateSet.Images, stampedImages);
        var used = turned.Take(maxImages ?? int.MaxValue).ToArray();

        var inputGradient = new InputGradient(model);
        var gradCam = new GradCam(model);
        var boosted = new[] { new InputSpaceSaliency(model, statistics), new InputSpaceSaliency(model, statistics, new HeatmapOptions { Filters = BoostedFilters.Random }) };
        var tallies = Methods.Select(m => new MethodTally(m)).ToArray();
        var examples = Methods.Select(_ => new List<InputHeatmap>()).ToArray();
        int oracleRestored = 0;
        // Per batch: ŝ of the images computed once with its graph, one double backward for the method and one for the
        // control (which draws image n's filters with seed = its index in the test set); the baselines from one backward each.
        int perPass = boosted[0].ImagesPerPass;
        for (int start = 0; start < used.Length; start += perPass)
        {
            using var scope = NewDisposeScope();
            int[] positions = used.Skip(start).Take(perPass).ToArray();
            int[] indices = positions.Select(p => candidates[p]).ToArray();
            int[] labels = indices.Select(i => test.LabelArray[i]).ToArray();
            var images = stampedImages.index_select(0, tensor(positions.Select(p => (long)p).ToArray()));
            var sources = indices.Select(i => (int?)i).ToArray();
            var maps = InputSpaceSaliency.ExplainTogether(boosted, images, labels, test.Normalization, sources, indices)
                .Append(inputGradient.ExplainBatch(images, test.Normalization, sourceIndices: sources))
                .Append(gradCam.ExplainBatch(images, test.Normalization, sourceIndices: sources))
                .ToArray(); // [method][image]
            // Every masked version of the batch (the box itself: the oracle; each method's top pixels) in one prediction.
            var regions = Enumerable.Range(0, positions.Length)
                .SelectMany(n => maps.Select(m => RegionMask.TopFraction(m[n], (double)box.Count / (height * width))).Prepend(box).Select(region => (n, region)))
                .ToArray();
            var masked = stack(regions.Select(r => RegionEdits.Mask(images[r.n], r.region, MaskFill.Black, test.Normalization)).ToArray());
            int[] predictions = Evaluator.Predict(model, masked).Predictions;
            for (int n = 0; n < positions.Length; n++)
            {
                int original = before[positions[n]], first = n * (maps.Length + 1);
                oracleRestored += predictions[first] == original ? 1 : 0;
                for (int m = 0; m < maps.Length; m++)
                {
                    tallies[m].Add(maps[m][n].PointingGame(box), maps[m][n].MassShare(box), predictions[first + 1 + m] == original);
                    if (examples[m].Count < keepExamples) examples[m].Add(maps[m][n]);
                }
            }
            progress?.Report((start + positions.Length, used.Length));
        }
        var rows = tallies.Select(t => t.ToRow()).ToList();
        return new PlantedCueReport(cue, test.ClassNames, candidates.Length, turned.Length, used.Length, (double)box.Count / (height * width),
            used.Length == 0 ? 0 : (double)oracleRestored / used.Length, rows, examples);
    }

    sealed class MethodTally(string method)
    {
        int count, restored;
        double hits, massShare;

        public void Add(double hit, double share, bool restores)
        {
            count++;
            hits += hit;
            massShare += share;
            restored += restores ? 1 : 0;
        }

        public PlantedCueRow ToRow() => count == 0
            ? new PlantedCueRow(method, 0, double.NaN, double.NaN, double.NaN)
            : new PlantedCueRow(method, count, hits / count, massShare / count, (double)restored / count);
    }
}
