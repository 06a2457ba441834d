using static TorchSharp.torch;

namespace ParameterSaliency.Runtime;

/// <summary>Puts a model in eval mode (BatchNorm running statistics, no dropout) for a <c>using</c> block and restores its mode afterwards.</summary>
internal sealed class EvalMode : IDisposable
{
    readonly nn.Module model;
    readonly bool wasTraining;

    public EvalMode(nn.Module model)
    {
        this.model = model;
        wasTraining = model.training;
        model.eval();
    }

    public void Dispose()
    {
        if (wasTraining) model.train();
    }
}
