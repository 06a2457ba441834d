using System.Globalization;
using ParameterSaliency.Data;
using ParameterSaliency.Evaluation;
using static TorchSharp.torch;

namespace ParameterSaliency.InputSpace;

/// <summary>
/// Masking (paper Figure 1c-e, Figure 3): replace the salient region of an image and, as a control,
/// an equally large random set of non-salient pixels, and compare the probabilities of the true
/// and the predicted class before and after.
/// </summary>
public static class Masking
{
    /// <summary>Masks <paramref name="salient"/> in image <paramref name="index"/> of <paramref name="data"/>, and the control region drawn with <paramref name="controlSeed"/>.</summary>
    /// <param name="model">Classifier whose class probabilities are compared.</param>
    /// <param name="data">Data set holding the image.</param>
    /// <param name="index">Index of the image in <paramref name="data"/>.</param>
    /// <param name="salient">Salient region to mask, [H, W] matching the image.</param>
    /// <param name="fill">What replaces the masked pixels (default black).</param>
    /// <param name="controlSeed">Seed of the control: as many random pixels outside <paramref name="salient"/> (default 0).</param>
    public static MaskingReport Compare(nn.Module<Tensor, Tensor> model, ImageDataset data, int index, RegionMask salient, MaskFill fill = MaskFill.Black, int controlSeed = 0)
    {
        if (index < 0 || index >= data.Count) throw new ArgumentOutOfRangeException(nameof(index), index, $"{data.Name} has images [0, {data.Count}).");
        using var scope = NewDisposeScope();
        var image = data.Images[index];
        var control = salient.RandomOutside(controlSeed);
        var batch = stack([image, RegionEdits.Mask(image, salient, fill, data.Normalization), RegionEdits.Mask(image, control, fill, data.Normalization)]);
        var (predictions, probabilities) = Evaluator.Predict(model, batch);
        var pixels = data.Normalization.Invert(batch).cpu();
        float[] Row(int r) => Enumerable.Range(0, probabilities.GetLength(1)).Select(c => probabilities[r, c]).ToArray();
        float[] Pixels(int r) => pixels[r].reshape(-1).data<float>().ToArray();
        var (channels, height, width) = data.ImageShape;
        return new MaskingReport(index, data.LabelArray[index], data.ClassNames, fill, salient, control,
            [new("original", Pixels(0), Row(0), predictions[0]), new("salient masked", Pixels(1), Row(1), predictions[1]), new("control masked", Pixels(2), Row(2), predictions[2])],
            channels, height, width);
    }

    /// <summary>
    /// Masking over many images: for each heatmap (its <see cref="InputHeatmap.SourceIndex"/> names the image in
    /// <paramref name="data"/>) the top <paramref name="fraction"/> of its pixels are masked, and as a control as many
    /// random pixels outside them (drawn with seed n for the n-th heatmap). The summary counts how often each changes the
    /// prediction and the mean drop of p(predicted class).
    /// <example>
    /// <code>
    /// var maps = explainer.Explain(test, report.Misclassified.Take(60).ToArray());
    /// var summary = Masking.CompareMany(model, test, maps, fraction: 0.05);   // summary.SalientFlips vs summary.ControlFlips
    /// </code>
    /// </example>
    /// </summary>
    /// <param name="model">Classifier whose class probabilities are compared.</param>
    /// <param name="data">Data set holding the images.</param>
    /// <param name="heatmaps">Heatmaps of images of <paramref name="data"/>, each naming its image by <see cref="InputHeatmap.SourceIndex"/>.</param>
    /// <param name="fraction">Share of each image's pixels masked (the top of its <see cref="InputHeatmap.Raw"/> map), strictly between 0 and 1.</param>
    /// <param name="fill">What replaces the masked pixels (default black).</param>
    /// <param name="progress">Receives (images done, total) after each image; null for none.</param>
    public static MaskingSummary CompareMany(nn.Module<Tensor, Tensor> model, ImageDataset data, IReadOnlyList<InputHeatmap> heatmaps, double fraction,
        MaskFill fill = MaskFill.Black, IProgress<(int Done, int Total)>? progress = null)
    {
        if (heatmaps.Count == 0) throw new ArgumentException("No heatmaps: masking needs at least one image.", nameof(heatmaps));
        if (!(fraction > 0 && fraction < 1)) throw new ArgumentOutOfRangeException(nameof(fraction), fraction, "The share of pixels masked lies strictly between 0 and 1.");
        var reports = new List<MaskingReport>(heatmaps.Count);
        for (int n = 0; n < heatmaps.Count; n++)
        {
            int index = heatmaps[n].SourceIndex ?? throw new ArgumentException($"Heatmap {n} does not name its image (SourceIndex is null): explain images of the data set.", nameof(heatmaps));
            reports.Add(Compare(model, data, index, RegionMask.TopFraction(heatmaps[n], fraction), fill, controlSeed: n));
            progress?.Report((n + 1, heatmaps.Count));
        }
        return new MaskingSummary(reports, fraction);
    }
}

/// <summary>The result of <see cref="Masking.CompareMany"/>: one <see cref="MaskingReport"/> per image and their tallies.</summary>
/// <param name="Reports">One masking comparison per heatmap, in heatmap order.</param>
/// <param name="Fraction">Share of each image's pixels masked.</param>
public sealed record MaskingSummary(IReadOnlyList<MaskingReport> Reports, double Fraction)
{
    /// <summary>Images masked.</summary>
    public int Images => Reports.Count;
    /// <summary>Images whose prediction changed when their salient region was masked.</summary>
    public int SalientFlips => Reports.Count(r => r.SalientFlipsLabel);
    /// <summary>Images whose prediction changed when the control region was masked.</summary>
    public int ControlFlips => Reports.Count(r => r.ControlFlipsLabel);
    /// <summary>Mean drop of p(predicted class) with the salient region masked.</summary>
    public double MeanSalientDrop => Reports.Average(r => r.SalientDrop);
    /// <summary>Mean drop of p(predicted class) with the control region masked.</summary>
    public double MeanControlDrop => Reports.Average(r => r.ControlDrop);

    /// <summary>One sentence with both counts and both mean drops.</summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"Masking the top {Fraction:P0} changed the prediction of {SalientFlips} of {Images} images (mean drop of p(predicted) {100 * MeanSalientDrop:F1} points); " +
        $"masking as many random other pixels changed {ControlFlips} (mean drop {100 * MeanControlDrop:F1} points).");
}

/// <summary>One version of the image in a masking comparison: its pixels, class probabilities and prediction.</summary>
/// <param name="Name">Which version: "original", "salient masked" or "control masked".</param>
/// <param name="Pixels">Its pixels in [0, 1], row-major [C, H, W].</param>
/// <param name="Probabilities">Softmax probability of every class.</param>
/// <param name="Prediction">Predicted class (argmax of the logits).</param>
public sealed record MaskedImage(string Name, float[] Pixels, float[] Probabilities, int Prediction);

/// <summary>The result of <see cref="Masking.Compare"/>: the original, the salient region masked, and the control.</summary>
/// <param name="index">Index of the image in its data set.</param>
/// <param name="trueClass">True class y of the image.</param>
/// <param name="classNames">Class names indexed by label.</param>
/// <param name="fill">What replaced the masked pixels.</param>
/// <param name="salient">The salient region masked.</param>
/// <param name="control">The control region: as many random pixels outside the salient one.</param>
/// <param name="images">Original, salient-masked and control-masked versions, in that order.</param>
/// <param name="channels">Colour channels C of the images.</param>
/// <param name="height">Height H of the images.</param>
/// <param name="width">Width W of the images.</param>
public sealed class MaskingReport(int index, int trueClass, IReadOnlyList<string> classNames, MaskFill fill, RegionMask salient, RegionMask control,
    IReadOnlyList<MaskedImage> images, int channels, int height, int width)
{
    /// <summary>Index of the image in its data set.</summary>
    public int Index { get; } = index;
    /// <summary>The true class y.</summary>
    public int TrueClass { get; } = trueClass;
    /// <summary>The class predicted for the original image.</summary>
    public int PredictedClass => Original.Prediction;
    /// <summary>Class names.</summary>
    public IReadOnlyList<string> ClassNames { get; } = classNames;
    /// <summary>The fill used.</summary>
    public MaskFill Fill { get; } = fill;
    /// <summary>The salient region.</summary>
    public RegionMask Salient { get; } = salient;
    /// <summary>The control region (same size, outside the salient region).</summary>
    public RegionMask Control { get; } = control;
    /// <summary>Original, salient-masked and control-masked versions.</summary>
    public IReadOnlyList<MaskedImage> Images { get; } = images;
    /// <summary>The unmasked image.</summary>
    public MaskedImage Original => Images[0];
    /// <summary>The image with its salient region masked.</summary>
    public MaskedImage SalientMasked => Images[1];
    /// <summary>The image with the control region masked.</summary>
    public MaskedImage ControlMasked => Images[2];
    /// <summary>Whether masking the salient region changed the prediction.</summary>
    public bool SalientFlipsLabel => SalientMasked.Prediction != Original.Prediction;
    /// <summary>Whether masking the control region changed the prediction.</summary>
    public bool ControlFlipsLabel => ControlMasked.Prediction != Original.Prediction;
    /// <summary>Colour channels C of the images.</summary>
    public int Channels { get; } = channels;
    /// <summary>Height H of the images.</summary>
    public int Height { get; } = height;
    /// <summary>Width W of the images.</summary>
    public int Width { get; } = width;
    /// <summary>Drop of p(predicted class) when the salient region is masked, in [−1, 1].</summary>
    public double SalientDrop => Original.Probabilities[PredictedClass] - SalientMasked.Probabilities[PredictedClass];
    /// <summary>Drop of p(predicted class) when the control region is masked, in [−1, 1].</summary>
    public double ControlDrop => Original.Probabilities[PredictedClass] - ControlMasked.Probabilities[PredictedClass];

    /// <inheritdoc/>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"image #{Index}: p(true {ClassNames[TrueClass]}) {Original.Probabilities[TrueClass]:P1} → {SalientMasked.Probabilities[TrueClass]:P1} salient masked" +
        $" ({(SalientFlipsLabel ? "label flips" : "label kept")}), → {ControlMasked.Probabilities[TrueClass]:P1} control masked ({(ControlFlipsLabel ? "label flips" : "label kept")})");
}
