package embed

import (
	"encoding/json"
	"fmt"
	"strings"
)

// OpenAIDefaultURL is where NewOpenAI sends requests when
// ClientOptions.BaseURL is empty.
const OpenAIDefaultURL = "https://api.openai.com/v1"

// OpenAIMaxBatch is the most inputs the OpenAI API takes in one request.
const OpenAIMaxBatch = 2048

// OpenAIEmbedder embeds through an OpenAI-compatible POST {base}/embeddings,
// which OpenAI, llama.cpp's server, vLLM, LocalAI and LM Studio speak:
//
//	request  {"model": "text-embedding-3-small", "input": ["text", ...],
//	          "encoding_format": "float", "dimensions": 512}
//	response {"object": "list", "model": "...", "usage": {...},
//	          "data": [{"object": "embedding", "index": 0, "embedding": [...]}, ...]}
//	error    {"error": {"message": "...", "type": "...", "param": null, "code": "..."}}
//
// ("dimensions" is sent only when ClientOptions.Dimensions is set.) Results
// are put in input order by their "index"; a missing, repeated or out of
// range index is a malformed response. It is safe for concurrent use.
type OpenAIEmbedder struct{ *client }

// NewOpenAI returns an embedder for model on an OpenAI-compatible server.
// Errors: an empty model, options out of range including a BatchSize over
// OpenAIMaxBatch (*OptionError), a base URL that does not parse.
func NewOpenAI(model string, opts ClientOptions) (*OpenAIEmbedder, error) {
	opts, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	if opts.BatchSize > OpenAIMaxBatch {
		return nil, &OptionError{Name: "batch size", Value: opts.BatchSize, Rule: fmt.Sprintf("at most %d for the OpenAI API", OpenAIMaxBatch)}
	}
	if opts.BaseURL == "" {
		opts.BaseURL = OpenAIDefaultURL
	}
	if err := checkBaseURL(opts.BaseURL); err != nil {
		return nil, err
	}
	c, err := newClient(OpenAI, model, opts.BaseURL+"/embeddings", opts, openaiProtocol{})
	if err != nil {
		return nil, err
	}
	return &OpenAIEmbedder{c}, nil
}

type openaiProtocol struct{}

type openaiRequest struct {
	Model          string   `json:"model"`
	Input          []string `json:"input"`
	EncodingFormat string   `json:"encoding_format"`
	Dimensions     int      `json:"dimensions,omitempty"`
}

type openaiResponse struct {
	Data []struct {
		Index     *int      `json:"index"`
		Embedding []float32 `json:"embedding"`
	} `json:"data"`
}

func (openaiProtocol) request(model string, dims int, batch []string) ([]byte, error) {
	return json.Marshal(openaiRequest{Model: model, Input: batch, EncodingFormat: "float", Dimensions: dims})
}

func (openaiProtocol) response(body []byte, n int) ([][]float32, error) {
	var r openaiResponse
	if err := json.Unmarshal(body, &r); err != nil {
		return nil, fmt.Errorf("decoding %s: %w", bodyStart(body), err)
	}
	if r.Data == nil {
		return nil, fmt.Errorf("no \"data\" in %s", bodyStart(body))
	}
	if len(r.Data) != n {
		return nil, fmt.Errorf("%d embeddings for %d inputs", len(r.Data), n)
	}
	out := make([][]float32, n)
	for i, d := range r.Data {
		switch {
		case d.Index == nil:
			return nil, fmt.Errorf("data[%d] has no index", i)
		case *d.Index < 0 || *d.Index >= n:
			return nil, fmt.Errorf("data[%d] has index %d, outside [0, %d)", i, *d.Index, n)
		case out[*d.Index] != nil:
			return nil, fmt.Errorf("index %d appears twice", *d.Index)
		case d.Embedding == nil:
			return nil, fmt.Errorf("data[%d] has no embedding", i)
		}
		out[*d.Index] = d.Embedding
	}
	return out, nil
}

func (openaiProtocol) message(body []byte) string {
	var e struct {
		Error struct {
			Message string `json:"message"`
			Type    string `json:"type"`
			Code    any    `json:"code"`
		} `json:"error"`
	}
	if json.Unmarshal(body, &e) != nil || e.Error.Message == "" {
		return ""
	}
	var extra []string
	if e.Error.Type != "" {
		extra = append(extra, "type "+e.Error.Type)
	}
	if e.Error.Code != nil {
		extra = append(extra, fmt.Sprintf("code %v", e.Error.Code))
	}
	if len(extra) == 0 {
		return e.Error.Message
	}
	return e.Error.Message + " (" + strings.Join(extra, ", ") + ")"
}
