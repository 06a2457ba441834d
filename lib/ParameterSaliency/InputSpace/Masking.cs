using System.Globalization;
using System.Net;
using System.Text;
using ParameterSaliency.Data;
using ParameterSaliency.Evaluation;
using ParameterSaliency.Imaging;
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
}

/// <summary>One version of the image in a masking comparison: its pixels, class probabilities and prediction.</summary>
public sealed record MaskedImage(string Name, float[] Pixels, float[] Probabilities, int Prediction);

/// <summary>The result of <see cref="Masking.Compare"/>: the original, the salient region masked, and the control.</summary>
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

    /// <summary>The three images with p(true) and p(predicted) and a table of the numbers.</summary>
    public string ToHtml()
    {
        var tiles = Images.Select(i => ImageTile.FromPixels(i.Pixels, channels, height, width,
            $"{i.Name}: {ClassNames[i.Prediction]} · p(true) {i.Probabilities[TrueClass]:P0}", highlight: i.Prediction != TrueClass)).ToList();
        var html = new StringBuilder(new ImageGrid($"Masking image #{Index} ({Fill} fill; {Salient.Description})", tiles, scale: 4).ToHtml());
        html.Append("<table><tr><th></th><th>prediction</th>")
            .Append(CultureInfo.InvariantCulture, $"<th>p({WebUtility.HtmlEncode(ClassNames[TrueClass])}) true</th><th>p({WebUtility.HtmlEncode(ClassNames[PredictedClass])}) predicted</th></tr>");
        foreach (var image in Images)
            html.Append(CultureInfo.InvariantCulture, $"<tr><td>{image.Name}</td><td>{WebUtility.HtmlEncode(ClassNames[image.Prediction])}</td><td>{image.Probabilities[TrueClass]:P1}</td><td>{image.Probabilities[PredictedClass]:P1}</td></tr>");
        return html.Append("</table>").ToString();
    }

    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"image #{Index}: p(true {ClassNames[TrueClass]}) {Original.Probabilities[TrueClass]:P1} → {SalientMasked.Probabilities[TrueClass]:P1} salient masked" +
        $" ({(SalientFlipsLabel ? "label flips" : "label kept")}), → {ControlMasked.Probabilities[TrueClass]:P1} control masked ({(ControlFlipsLabel ? "label flips" : "label kept")})");
}
