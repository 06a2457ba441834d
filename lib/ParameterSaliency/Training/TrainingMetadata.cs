using System.Globalization;

namespace ParameterSaliency.Training;

/// <summary>
/// What a weights file written by <c>saliency train</c> says about its training, read back from its
/// <c>__metadata__</c>. The final learning rate is the step size Appendix D fine-tunes with ("the learning
/// rate of the last epoch for pre-trained models").
/// </summary>
public static class TrainingMetadata
{
    /// <summary>Metadata key of the rate the last training step used.</summary>
    public const string FinalLearningRate = "final_lr";

    /// <summary>Metadata key of the seed that permuted the training labels (data randomisation); absent for a model trained on true labels.</summary>
    public const string PermutedLabelsSeed = "permuted_labels_seed";

    /// <summary>Metadata key of the eval-mode accuracy on the (permuted) labels the model was trained on.</summary>
    public const string FitAccuracy = "fit_accuracy";

    /// <summary>
    /// The final learning rate recorded in <paramref name="metadata"/>; a file without it (trained elsewhere,
    /// or before the entry existed) or with an unreadable one raises <see cref="InvalidDataException"/>
    /// saying what to do instead.
    /// </summary>
    /// <param name="metadata">A weights file's <c>__metadata__</c> (<c>SavedModel.Metadata</c>).</param>
    /// <param name="source">The file, for the message.</param>
    public static double FinalLearningRateOf(IReadOnlyDictionary<string, string> metadata, string source)
    {
        ArgumentNullException.ThrowIfNull(metadata);
        if (!metadata.TryGetValue(FinalLearningRate, out var text))
        {
            string schedule = metadata.TryGetValue("schedule", out var name) ? $" (schedule '{name}')"
                : metadata.ContainsKey("max_lr") ? " (its metadata predates the entry: one-cycle, ending near 0)" : "";
            throw new InvalidDataException(
                $"{source}: the metadata has no '{FinalLearningRate}' entry{schedule}, so the model does not say which learning rate its training ended on. " +
                "Give the step explicitly with --subset-step, or use a model trained by 'saliency train' (e.g. --schedule multistep).");
        }
        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double rate) || !(rate > 0) || double.IsInfinity(rate))
            throw new InvalidDataException($"{source}: metadata '{FinalLearningRate}' = '{text}' is not a positive, finite learning rate.");
        return rate;
    }
}
