using static TorchSharp.torch;

namespace ParameterSaliency.Saliency;

/// <summary>The reference engine: for each image alone, L = CE(f(x), y), one backward pass, |∂L/∂θ| reduced per segment. Works for any model.</summary>
internal sealed class LoopEngine(nn.Module<Tensor, Tensor> model, ProfileLayout layout)
{
    readonly Tensor[] parameters = model.parameters().ToArray();

    /// <summary>
    /// Profiles [N, layout.Length] (float32, on the model's device) of images [N, C, H, W] with labels [N]. When
    /// <paramref name="check"/> is given, each image's ReLUs are watched and judged by it, the images counting as rows
    /// <paramref name="firstRow"/> onwards (float32 models only).
    /// </summary>
    public Tensor Profile(Tensor images, Tensor labels, SettlingCheck? check = null, int firstRow = 0)
    {
        var needed = layout.ContributingParameters;
        var inputs = needed.Select(i => parameters[i]).ToArray();
        var rows = new List<Tensor>();
        using var scope = NewDisposeScope();
        for (long i = 0; i < images.shape[0]; i++)
        {
            using var sampleScope = NewDisposeScope();
            var image = images.narrow(0, i, 1);
            using var kinks = ReluKinks.Watch(model, image, check);
            var logits = model.call(image);
            var loss = SaliencyLoss.Of(logits, labels.narrow(0, i, 1));
            var watched = kinks?.Outputs ?? [];
            var gradients = autograd.grad([loss], [.. inputs, .. watched], allow_unused: true);
            if (kinks is not null) check!.Add(kinks, gradients.Skip(inputs.Length).ToArray(), image, firstRow + (int)i);
            // A parameter that takes no part in the loss has gradient zero.
            var row = layout.ReduceAll(needed.Select((parameter, i) => GradientOrZero(gradients[i], parameters[parameter]).unsqueeze(0)).ToArray());
            rows.Add(row.MoveToOuterDisposeScope());
        }
        return cat(rows, 0).MoveToOuterDisposeScope();
    }

    internal static Tensor GradientOrZero(Tensor gradient, Tensor parameter) => IsDefined(gradient) ? gradient : zeros_like(parameter);

    /// <summary>Whether <paramref name="gradient"/> (from autograd.grad with allow_unused) holds a tensor: an unused input's is undefined.</summary>
    internal static bool IsDefined(Tensor gradient)
    {
        try
        {
            _ = gradient.Handle;
            return true;
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }
}
