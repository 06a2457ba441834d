using ParameterSaliency.Data;
using static TorchSharp.torch;

namespace ParameterSaliency.Training;

/// <summary>Random shifts (pad by <see cref="Padding"/> with the background, crop back) and horizontal flips of a normalised batch.</summary>
internal sealed class BatchAugmentation(Normalization normalization, Random random)
{
    public const int Padding = 2;

    public Tensor Apply(Tensor batch)
    {
        using var scope = NewDisposeScope();
        long count = batch.shape[0], height = batch.shape[2], width = batch.shape[3];
        // Background (pixel 0) in normalised units, per channel; pad around zero then shift back.
        var background = tensor(normalization.Mean.Zip(normalization.Std, (m, s) => -m / s).ToArray(), device: batch.device).reshape(1, -1, 1, 1);
        var padded = nn.functional.pad(batch - background, [Padding, Padding, Padding, Padding]) + background;
        var crops = new Tensor[count];
        for (int i = 0; i < count; i++)
        {
            var crop = padded[i].narrow(1, random.Next(2 * Padding + 1), height).narrow(2, random.Next(2 * Padding + 1), width);
            crops[i] = random.Next(2) == 0 ? crop : crop.flip(2);
        }
        return stack(crops).MoveToOuterDisposeScope();
    }
}
