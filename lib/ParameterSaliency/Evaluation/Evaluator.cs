using ParameterSaliency.Data;
using static TorchSharp.torch;

namespace ParameterSaliency.Evaluation;

/// <summary>Classifies a data set in eval mode, batch by batch, without gradients.</summary>
public static class Evaluator
{
    /// <summary>Predictions, softmax confidences, accuracy and the confusion matrix of <paramref name="model"/> on <paramref name="data"/>.</summary>
    public static EvaluationReport Evaluate(nn.Module<Tensor, Tensor> model, ImageDataset data, int batchSize = 500, IProgress<(int Done, int Total)>? progress = null)
    {
        if (data.Count == 0) throw new ArgumentException($"{data.Name} is empty: nothing to evaluate.");
        if (batchSize < 1) throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, "At least 1.");
        var device = model.parameters().First().device;
        bool wasTraining = model.training;
        model.eval();
        var predictions = new int[data.Count];
        var probabilities = new float[data.Count * data.ClassNames.Count];
        using (no_grad())
        {
            for (int start = 0; start < data.Count; start += batchSize)
            {
                using var scope = NewDisposeScope();
                int size = Math.Min(batchSize, data.Count - start);
                var logits = model.call(data.Images.narrow(0, start, size).to(device));
                if (logits.shape[1] != data.ClassNames.Count)
                    throw new ArgumentException($"The model has {logits.shape[1]} outputs but {data.Name} has {data.ClassNames.Count} classes.");
                var softmax = nn.functional.softmax(logits, 1).cpu();
                softmax.data<float>().CopyTo(probabilities, start * data.ClassNames.Count);
                var predicted = logits.argmax(1).cpu().data<long>().ToArray();
                for (int i = 0; i < size; i++) predictions[start + i] = (int)predicted[i];
                progress?.Report((start + size, data.Count));
            }
        }
        if (wasTraining) model.train();
        return new EvaluationReport(data.Name, data.ClassNames, data.LabelArray.ToArray(), predictions, probabilities);
    }
}
