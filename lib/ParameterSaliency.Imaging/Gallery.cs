using ParameterSaliency.Data;
using ParameterSaliency.Evaluation;

namespace ParameterSaliency.Imaging;

/// <summary>Ready-made image grids of a data set and a classifier's report.</summary>
public static class Gallery
{
    /// <summary>The first <paramref name="count"/> images of a data set with their class names.</summary>
    /// <param name="data">Data set whose images are shown.</param>
    /// <param name="count">Number of images to show (default 20; fewer when the data set is smaller).</param>
    public static ImageGrid Samples(ImageDataset data, int count = 20)
    {
        var tiles = Enumerable.Range(0, Math.Min(count, data.Count)).Select(i =>
        {
            using var pixels = data.Pixels(i);
            return ImageTile.FromUnitTensor(pixels, $"#{i}\n{data.ClassNames[data.LabelArray[i]]}");
        }).ToArray();
        return new ImageGrid($"{data.Name}: the first {tiles.Length} images", tiles);
    }

    /// <summary>The first <paramref name="count"/> misclassified images with true and predicted class and the predicted class's probability.</summary>
    /// <param name="data">Data set the report was computed on.</param>
    /// <param name="report">Evaluation of the classifier on <paramref name="data"/>: labels, predictions, probabilities and the misclassified indices.</param>
    /// <param name="count">Most misclassified images to show (default 24).</param>
    public static ImageGrid Misclassified(ImageDataset data, EvaluationReport report, int count = 24) =>
        Of(data, report, report.Misclassified.Take(count).ToArray(), $"Misclassified: the first {Math.Min(count, report.Misclassified.Count)} of {report.Misclassified.Count}");

    /// <summary>The images at <paramref name="indices"/> captioned with index, true class and prediction; wrong predictions are framed red.</summary>
    /// <param name="data">Data set the report was computed on.</param>
    /// <param name="report">Evaluation of the classifier on <paramref name="data"/>: labels, predictions and probabilities.</param>
    /// <param name="indices">Data-set indices of the images to show, in display order.</param>
    /// <param name="title">Heading of the grid.</param>
    public static ImageGrid Of(ImageDataset data, EvaluationReport report, IReadOnlyList<int> indices, string title)
    {
        var tiles = indices.Select(i =>
        {
            int label = report.Labels[i], predicted = report.Predictions[i];
            using var pixels = data.Pixels(i);
            string caption = $"#{i}\ntrue: {data.ClassNames[label]}\npred: {data.ClassNames[predicted]} ({report.Probability(i, predicted):P0})";
            return ImageTile.FromUnitTensor(pixels, caption, highlight: label != predicted);
        }).ToArray();
        return new ImageGrid(title, tiles);
    }
}
