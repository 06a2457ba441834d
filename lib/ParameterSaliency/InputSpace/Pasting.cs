using System.Globalization;
using ParameterSaliency.Data;
using ParameterSaliency.Evaluation;
using static TorchSharp.torch;

namespace ParameterSaliency.InputSpace;

/// <summary>
/// Pasting (paper §3.1, Figure 4): copy the salient region of a misclassified image onto other images
/// (by default every image of its true class) and measure how the probability of the wrong class changes.
/// </summary>
public static class Pasting
{
    /// <summary>
    /// Pastes <paramref name="region"/> of image <paramref name="sourceIndex"/> onto <paramref name="targets"/>
    /// (default: every other image of the source's true class); the wrong class defaults to the source's prediction.
    /// </summary>
    /// <param name="model">Classifier whose p(wrong class) is measured before and after pasting.</param>
    /// <param name="data">Data set holding the source and target images.</param>
    /// <param name="sourceIndex">Index in <paramref name="data"/> of the (misclassified) image whose region is copied.</param>
    /// <param name="region">Region of the source to paste, [H, W] matching the images.</param>
    /// <param name="targets">Indices in <paramref name="data"/> of the images pasted onto; null for every other image of the source's true class.</param>
    /// <param name="wrongClass">Class whose probability is tracked; null for the model's prediction on the source.</param>
    public static PastingReport Run(nn.Module<Tensor, Tensor> model, ImageDataset data, int sourceIndex, RegionMask region, IReadOnlyList<int>? targets = null, int? wrongClass = null)
    {
        if (sourceIndex < 0 || sourceIndex >= data.Count) throw new ArgumentOutOfRangeException(nameof(sourceIndex), sourceIndex, $"{data.Name} has images [0, {data.Count}).");
        int trueClass = data.LabelArray[sourceIndex];
        targets ??= Enumerable.Range(0, data.Count).Where(i => i != sourceIndex && data.LabelArray[i] == trueClass).ToArray();
        if (targets.Count == 0) throw new ArgumentException("No target images to paste onto.");
        int bad = targets.ToList().FindIndex(i => i < 0 || i >= data.Count);
        if (bad >= 0) throw new ArgumentOutOfRangeException(nameof(targets), targets[bad], $"{data.Name} has images [0, {data.Count}).");
        using var scope = NewDisposeScope();
        var source = data.Images[sourceIndex];
        int wrong = wrongClass ?? Evaluator.Predict(model, source.unsqueeze(0)).Predictions[0];
        if (wrong < 0 || wrong >= data.ClassNames.Count) throw new ArgumentOutOfRangeException(nameof(wrongClass), wrong, $"Classes are [0, {data.ClassNames.Count}).");
        var originals = data.Images.index_select(0, tensor(targets.Select(t => (long)t).ToArray()));
        var pasted = stack(Enumerable.Range(0, targets.Count).Select(i => RegionEdits.Paste(source, originals[i], region)).ToArray());
        var before = Evaluator.Predict(model, originals);
        var after = Evaluator.Predict(model, pasted);
        var rows = targets.Select((target, i) => new PastingRow(target, before.Probabilities[i, wrong], after.Probabilities[i, wrong], before.Predictions[i], after.Predictions[i])).ToArray();
        return new PastingReport(sourceIndex, trueClass, wrong, data.ClassNames, region, rows);
    }
}

/// <summary>One target of a pasting run: p(wrong class) before and after, and the predictions.</summary>
/// <param name="TargetIndex">Index of the target image in the data set.</param>
/// <param name="WrongBefore">p(wrong class) of the target before pasting.</param>
/// <param name="WrongAfter">p(wrong class) of the target after pasting.</param>
/// <param name="PredictedBefore">Predicted class of the target before pasting.</param>
/// <param name="PredictedAfter">Predicted class of the target after pasting.</param>
public sealed record PastingRow(int TargetIndex, float WrongBefore, float WrongAfter, int PredictedBefore, int PredictedAfter)
{
    /// <summary>Change of p(wrong class) in percentage points.</summary>
    public double ChangePoints => 100.0 * (WrongAfter - WrongBefore);
}

/// <summary>The result of <see cref="Pasting.Run"/> with the summary "increased for N of M, mean +X points, F flips".</summary>
/// <param name="SourceIndex">Index of the source image in the data set.</param>
/// <param name="TrueClass">True class y of the source image.</param>
/// <param name="WrongClass">Class whose probability was tracked (by default the source's prediction).</param>
/// <param name="ClassNames">Class names indexed by label.</param>
/// <param name="Region">The pasted region of the source.</param>
/// <param name="Rows">One row per target image.</param>
public sealed record PastingReport(int SourceIndex, int TrueClass, int WrongClass, IReadOnlyList<string> ClassNames, RegionMask Region, IReadOnlyList<PastingRow> Rows)
{
    /// <summary>Targets whose p(wrong class) increased.</summary>
    public int Increased => Rows.Count(r => r.WrongAfter > r.WrongBefore);
    /// <summary>Mean change of p(wrong class), percentage points.</summary>
    public double MeanChangePoints => Rows.Average(r => r.ChangePoints);
    /// <summary>Targets predicted as the wrong class after pasting but not before.</summary>
    public int Flips => Rows.Count(r => r.PredictedAfter == WrongClass && r.PredictedBefore != WrongClass);

    /// <summary>The paper's summary line.</summary>
    public string Summary => string.Create(CultureInfo.InvariantCulture,
        $"Pasting the {Region.Description} of image #{SourceIndex} ({ClassNames[TrueClass]} predicted {ClassNames[WrongClass]}) onto {Rows.Count} {ClassNames[TrueClass]} images: " +
        $"p({ClassNames[WrongClass]}) increased for {Increased} of {Rows.Count}, mean {Math.Round(MeanChangePoints, 2) + 0.0:+0.00;-0.00;0.00} points, {Flips} flips");

    /// <inheritdoc/>
    public override string ToString() => Summary;
}
