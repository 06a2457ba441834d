using ParameterSaliency.Data;
using ParameterSaliency.Saliency;
using ParameterSaliency.Serialization;
using static TorchSharp.torch;

namespace ParameterSaliency.Evaluation;

/// <summary>
/// An <see cref="EvaluationReport"/> kept on disk: a model's predictions and softmax probabilities over a data set, so
/// that the next notebook that classifies the same 10,000 images reads them instead (about 12 s on one core for the
/// default model). The file carries the fingerprints of the model's weights and of the images with their labels; a
/// file of another model or of other images, or a damaged one, is said so and recomputed, never used. Written
/// atomically under a <see cref="CacheLock"/>, so two processes that want it at once compute it once.
/// </summary>
public static class EvaluationCache
{
    const string Kind = "parameter-saliency/evaluation";

    /// <summary>The report of <paramref name="model"/> on <paramref name="data"/>: read from <paramref name="path"/> when it belongs to both, else computed with <see cref="Evaluator.Evaluate"/> and written there.</summary>
    /// <param name="path">Safetensors file of the cache (created, or replaced when it belongs to something else).</param>
    /// <param name="model">The classifier; its weights' fingerprint keys the cache.</param>
    /// <param name="data">The labelled images; their fingerprint (images and labels) keys the cache.</param>
    /// <param name="progress">Receives (images done, images in all) while classifying; not called on a cache hit.</param>
    /// <param name="log">Where a refused cache file is explained (default: the library's notices).</param>
    public static EvaluationReport LoadOrEvaluate(string path, nn.Module<Tensor, Tensor> model, ImageDataset data, IProgress<(int Done, int Total)>? progress = null, TextWriter? log = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(data);
        log ??= Runtime.Notices.Writer;
        using var turn = CacheLock.Acquire(path, log);
        string modelFingerprint = Fingerprints.Model(model);
        string dataFingerprint = Fingerprints.Data(data.Images, data.Labels).ToString();
        if (File.Exists(path))
        {
            try
            {
                return Load(path, modelFingerprint, dataFingerprint, data);
            }
            catch (Exception e) when (e is InvalidDataException or KeyNotFoundException or IOException)
            {
                log.WriteLine($"Not using the cached evaluation in {path}: {e.Message} Classifying again.");
            }
        }
        var report = Evaluator.Evaluate(model, data, progress: progress);
        Save(path, report, modelFingerprint, dataFingerprint);
        return report;
    }

    static void Save(string path, EvaluationReport report, string modelFingerprint, string dataFingerprint)
    {
        using var scope = NewDisposeScope();
        int count = report.Labels.Count, classes = report.ClassNames.Count;
        var probabilities = new float[count * classes];
        for (int i = 0; i < count; i++)
            for (int c = 0; c < classes; c++) probabilities[i * classes + c] = report.Probability(i, c);
        SafeTensors.Write(path, new Dictionary<string, Tensor>
        {
            ["predictions"] = tensor(report.Predictions.ToArray(), ScalarType.Int32),
            ["probabilities"] = tensor(probabilities, [count, classes]),
        }, new Dictionary<string, string>
        {
            ["kind"] = Kind,
            ["model_fingerprint"] = modelFingerprint,
            ["data_fingerprint"] = dataFingerprint,
            ["data"] = report.Dataset,
        });
    }

    static EvaluationReport Load(string path, string modelFingerprint, string dataFingerprint, ImageDataset data)
    {
        using var content = SafeTensors.Read(path);
        string Get(string key) => content.Metadata.TryGetValue(key, out var value) ? value
            : throw new InvalidDataException($"no '{key}' in its metadata: not an evaluation cache.");
        if (Get("kind") != Kind) throw new InvalidDataException($"its kind is '{Get("kind")}', not '{Kind}'.");
        if (Get("model_fingerprint") != modelFingerprint) throw new InvalidDataException("it belongs to other weights than this model's.");
        if (Get("data_fingerprint") != dataFingerprint) throw new InvalidDataException($"it was computed over other images ({Get("data")}) than {data.Name}.");
        int count = data.Count, classes = data.ClassNames.Count;
        var predictions = content["predictions"];
        var probabilities = content["probabilities"];
        if (predictions.dtype != ScalarType.Int32 || !predictions.shape.SequenceEqual([(long)count]))
            throw new InvalidDataException($"'predictions' must be int32 [{count}]; it is {predictions.dtype} [{string.Join(", ", predictions.shape)}].");
        if (probabilities.dtype != ScalarType.Float32 || !probabilities.shape.SequenceEqual([(long)count, classes]))
            throw new InvalidDataException($"'probabilities' must be float32 [{count}, {classes}]; it is {probabilities.dtype} [{string.Join(", ", probabilities.shape)}].");
        int[] predicted = predictions.data<int>().ToArray();
        float[] probability = probabilities.data<float>().ToArray();
        if (predicted.Any(p => p < 0 || p >= classes) || probability.Any(p => !float.IsFinite(p) || p < 0 || p > 1))
            throw new InvalidDataException("it holds predictions or probabilities out of range (file damaged?).");
        return new EvaluationReport(data.Name, data.ClassNames, data.LabelArray.ToArray(), predicted, probability);
    }
}
