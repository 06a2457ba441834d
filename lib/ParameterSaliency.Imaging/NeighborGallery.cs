using ParameterSaliency.Data;
using ParameterSaliency.Evaluation;
using ParameterSaliency.Neighbors;

namespace ParameterSaliency.Imaging;

/// <summary>Image grids of a query and its neighbours (paper §3.2 galleries): true and predicted class and the cosine similarity under each image; mistakes framed red.</summary>
public static class NeighborGallery
{
    /// <summary>One grid for <paramref name="neighbors"/>.</summary>
    /// <param name="data">Data set the neighbour indices refer to.</param>
    /// <param name="report">Evaluation of the classifier on <paramref name="data"/>: each image's label and prediction.</param>
    /// <param name="neighbors">Query and its neighbours, most similar first.</param>
    /// <param name="title">Heading of the grid; null: the space and the query index.</param>
    public static ImageGrid Of(ImageDataset data, EvaluationReport report, NeighborList neighbors, string? title = null)
    {
        var tiles = neighbors.Entries.Select((entry, rank) =>
        {
            int i = entry.Index, label = report.Labels[i], predicted = report.Predictions[i];
            using var pixels = data.Pixels(i);
            string head = rank == 0 && entry.Index == neighbors.Query ? $"query #{i}" : $"#{i} cos {entry.Similarity:F2}";
            return ImageTile.FromUnitTensor(pixels, $"{head}\ntrue: {data.ClassNames[label]}\npred: {data.ClassNames[predicted]}", highlight: label != predicted);
        }).ToArray();
        return new ImageGrid(title ?? $"{neighbors.Space}-space neighbours of #{neighbors.Query}", tiles);
    }
}
