namespace ParameterSaliency.Evaluation;

/// <summary>How a classifier did on a data set: per-image predictions and confidences, accuracy, confusion matrix.</summary>
/// <param name="dataset">Name of the data set.</param>
/// <param name="classNames">Class names indexed by label.</param>
/// <param name="labels">True label y of every image.</param>
/// <param name="predictions">Predicted label (argmax of the logits) of every image.</param>
/// <param name="probabilities">Softmax probabilities, row-major [N, classes].</param>
public sealed class EvaluationReport(string dataset, IReadOnlyList<string> classNames, int[] labels, int[] predictions, float[] probabilities)
{
    /// <summary>The data set's name.</summary>
    public string Dataset { get; } = dataset;
    /// <summary>Class names indexed by label.</summary>
    public IReadOnlyList<string> ClassNames { get; } = classNames;
    /// <summary>True label y of every image.</summary>
    public IReadOnlyList<int> Labels { get; } = labels;
    /// <summary>Predicted label (argmax of the logits) of every image.</summary>
    public IReadOnlyList<int> Predictions { get; } = predictions;

    /// <summary>Softmax probability of class <paramref name="label"/> for image <paramref name="index"/>.</summary>
    /// <param name="index">Index of the image in the data set.</param>
    /// <param name="label">Class whose probability is returned.</param>
    public float Probability(int index, int label) => probabilities[index * ClassNames.Count + label];

    /// <summary>Indices of misclassified images, in data-set order.</summary>
    public IReadOnlyList<int> Misclassified { get; } = Enumerable.Range(0, labels.Length).Where(i => labels[i] != predictions[i]).ToArray();

    /// <summary>Fraction of images whose prediction equals the true label.</summary>
    public double Accuracy => 1.0 - (double)Misclassified.Count / Labels.Count;

    /// <summary>Counts [true, predicted].</summary>
    public int[,] ConfusionMatrix
    {
        get
        {
            var matrix = new int[ClassNames.Count, ClassNames.Count];
            for (int i = 0; i < Labels.Count; i++) matrix[Labels[i], Predictions[i]]++;
            return matrix;
        }
    }

    /// <summary>A plain-text report: accuracy, then the confusion matrix with class names.</summary>
    public string ToText()
    {
        var matrix = ConfusionMatrix;
        var text = new System.Text.StringBuilder();
        text.AppendLine($"{Dataset}: accuracy {Accuracy:F4} ({Labels.Count - Misclassified.Count} of {Labels.Count} correct)");
        text.AppendLine("Confusion matrix (rows: true class, columns: predicted class):");
        int nameWidth = ClassNames.Max(n => n.Length);
        text.Append(new string(' ', nameWidth + 1));
        for (int c = 0; c < ClassNames.Count; c++) text.Append($"{c,6}");
        text.AppendLine();
        for (int r = 0; r < ClassNames.Count; r++)
        {
            text.Append(ClassNames[r].PadLeft(nameWidth)).Append(' ');
            for (int c = 0; c < ClassNames.Count; c++) text.Append($"{matrix[r, c],6}");
            text.AppendLine($"   {r}");
        }
        return text.ToString();
    }

    /// <inheritdoc/>
    public override string ToString() => $"{Dataset}: accuracy {Accuracy:P2}, {Misclassified.Count} misclassified of {Labels.Count}";
}
