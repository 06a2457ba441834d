using System.CommandLine;
using ParameterSaliency.Data;
using ParameterSaliency.Evaluation;
using ParameterSaliency.Models;

namespace ParameterSaliency.Cli;

/// <summary><c>saliency evaluate</c>: accuracy and confusion matrix of a weights file on a data set.</summary>
internal static class EvaluateCommand
{
    public static Command Create()
    {
        var model = new ModelOptions();
        var dataset = new DatasetOptions();
        var command = new Command("evaluate", "Print the accuracy and the confusion matrix of a model on a data set.") { };
        model.AddTo(command);
        dataset.AddTo(command);
        command.SetAction(result =>
        {
            using var saved = model.Load(result);
            using var data = dataset.Load(result, saved);
            var report = Evaluator.Evaluate(saved.Model, data);
            Console.WriteLine($"Model: {saved}");
            Console.Write(report.ToText());
            return 0;
        });
        return command;
    }
}
