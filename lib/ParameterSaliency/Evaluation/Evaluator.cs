using ParameterSaliency.Data;
using static TorchSharp.torch;

namespace ParameterSaliency.Evaluation;

/// <summary>Classifies a data set in eval mode, batch by batch, without gradients.</summary>
public static class Evaluator
{
    /// <summary>
    /// Images per forward pass (128): measured on the default model (2 cores), 64-256 per pass predict 2,700-2,900
    /// images/s, 500 per pass 2,000 (its activations no longer fit in cache).
    /// </summary>
    public const int DefaultBatchSize = 128;

    /// <summary>Predictions, softmax confidences, accuracy and the confusion matrix of <paramref name="model"/> on <paramref name="data"/>.</summary>
    /// <param name="model">Classifier to evaluate, run in eval mode.</param>
    /// <param name="data">Data set to classify (model-ready images, true labels y).</param>
    /// <param name="batchSize">Images per forward pass (default <see cref="DefaultBatchSize"/>).</param>
    /// <param name="progress">Receives (images done, total) after each batch; null for none.</param>
    public static EvaluationReport Evaluate(nn.Module<Tensor, Tensor> model, ImageDataset data, int batchSize = DefaultBatchSize, IProgress<(int Done, int Total)>? progress = null)
    {
        if (data.Count == 0) throw new ArgumentException($"{data.Name} is empty: nothing to evaluate.");
        var (predictions, probabilities) = Predict(model, data.Images, batchSize, progress);
        if (probabilities.GetLength(1) != data.ClassNames.Count)
            throw new ArgumentException($"The model has {probabilities.GetLength(1)} outputs but {data.Name} has {data.ClassNames.Count} classes.");
        return new EvaluationReport(data.Name, data.ClassNames, data.LabelArray.ToArray(), predictions, probabilities.Cast<float>().ToArray());
    }

    /// <summary>
    /// The first <paramref name="count"/> misclassified images of <paramref name="data"/>, in data-set order: the same
    /// images as <c>Evaluate(model, data).Misclassified.Take(count)</c> (the same batches), but it classifies only as far as
    /// it must, 512 images at a time (the default model's 12 mistakes lie in its first 200 of 10,000 test images).
    /// </summary>
    internal static int[] FirstMistakes(nn.Module<Tensor, Tensor> model, ImageDataset data, int count)
    {
        const int Chunk = 4 * DefaultBatchSize; // a multiple of the batch: every image is classified in the batch Evaluate puts it in
        var mistakes = new List<int>();
        for (int start = 0; start < data.Count && mistakes.Count < count; start += Chunk)
        {
            int size = Math.Min(Chunk, data.Count - start);
            using var chunk = data.Images.narrow(0, start, size);
            int[] predicted = Predict(model, chunk).Predictions;
            for (int i = 0; i < size; i++)
                if (predicted[i] != data.LabelArray[start + i]) mistakes.Add(start + i);
        }
        return mistakes.Take(count).ToArray();
    }

    /// <summary>Predicted classes and softmax probabilities [N, classes] of model-ready images [N, C, H, W].</summary>
    /// <param name="model">Classifier to run, in eval mode.</param>
    /// <param name="images">Model-ready images x [N, C, H, W], moved batch by batch to the model's device and precision.</param>
    /// <param name="batchSize">Images per forward pass, at least 1 (default <see cref="DefaultBatchSize"/>).</param>
    /// <param name="progress">Receives (images done, total) after each batch; null for none.</param>
    public static (int[] Predictions, float[,] Probabilities) Predict(nn.Module<Tensor, Tensor> model, Tensor images, int batchSize = DefaultBatchSize, IProgress<(int Done, int Total)>? progress = null)
    {
        if (batchSize < 1) throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, "At least 1.");
        if (images.dim() != 4 || images.shape[0] == 0) throw new ArgumentException($"Images must be a non-empty [N, C, H, W] batch; got shape [{string.Join(", ", images.shape)}].");
        var device = model.parameters().First().device;
        var dtype = model.parameters().First().dtype;
        using var mode = new Runtime.EvalMode(model);
        int count = (int)images.shape[0];
        var predictions = new int[count];
        float[,]? probabilities = null;
        using (no_grad())
        {
            using var busy = Runtime.CoreShare.Busy();
            for (int start = 0; start < count; start += batchSize)
            {
                busy.Tick();
                using var scope = NewDisposeScope();
                int size = Math.Min(batchSize, count - start);
                var logits = model.call(images.narrow(0, start, size).to(dtype).to(device));
                int classes = (int)logits.shape[1];
                probabilities ??= new float[count, classes];
                float[] softmax = nn.functional.softmax(logits, 1).to(ScalarType.Float32).cpu().data<float>().ToArray();
                long[] predicted = logits.argmax(1).cpu().data<long>().ToArray();
                for (int i = 0; i < size; i++)
                {
                    predictions[start + i] = (int)predicted[i];
                    for (int c = 0; c < classes; c++) probabilities[start + i, c] = softmax[i * classes + c];
                }
                progress?.Report((start + size, count));
            }
        }
        return (predictions, probabilities!);
    }
}
