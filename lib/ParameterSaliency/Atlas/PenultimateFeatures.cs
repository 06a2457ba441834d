using ParameterSaliency.Data;
using static TorchSharp.torch;

namespace ParameterSaliency.Atlas;

/// <summary>
/// The embedding a user would otherwise cluster: the input of the model's last linear layer (the classifier head), by a
/// forward hook, flattened to [N, D]. For our ResNet: the 128 globally pooled features of layer4.
/// </summary>
public static class PenultimateFeatures
{
    /// <summary>The head's input for the images at <paramref name="indices"/>, in batches of <paramref name="batchSize"/>.</summary>
    /// <param name="model">Classifier whose last linear layer's input is captured; run in eval mode on the device of its parameters.</param>
    /// <param name="data">Data set holding the images.</param>
    /// <param name="indices">Indices in <paramref name="data"/> of the images, in the order of the returned rows.</param>
    /// <param name="batchSize">Images per forward pass (default 256).</param>
    public static Tensor Of(nn.Module<Tensor, Tensor> model, ImageDataset data, IReadOnlyList<int> indices, int batchSize = 256)
    {
        var head = model.named_modules().LastOrDefault(m => m.module is TorchSharp.Modules.Linear).module as nn.Module<Tensor, Tensor>
                   ?? throw new ArgumentException("The model has no linear layer: there is no classifier head whose input to take.");
        var device = model.parameters().First().device;
        var parts = new List<Tensor>();
        using var mode = new Runtime.EvalMode(model);
        using var noGrad = no_grad();
        Tensor? captured = null;
        var remover = head.register_forward_hook((m, input, output) =>
        {
            captured = input.flatten(1).to(ScalarType.Float64).cpu().DetachFromDisposeScope();
            return output;
        });
        try
        {
            for (int start = 0; start < indices.Count; start += batchSize)
            {
                using var scope = NewDisposeScope();
                var batch = data.Images.index_select(0, tensor(indices.Skip(start).Take(batchSize).Select(i => (long)i).ToArray()));
                model.call(batch.to(device));
                parts.Add(captured!);
            }
        }
        finally
        {
            remover.remove();
        }
        var result = cat(parts.ToArray(), 0);
        foreach (var part in parts) part.Dispose();
        return result;
    }
}
