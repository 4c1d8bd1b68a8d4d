"""LangChain's own standard suites for the vector store and the retriever.

The vector-store suite brings its own fake embeddings (DeterministicFakeEmbedding, size 6): that is the suite's
design, not a shortcut. The retriever suite runs the real hybrid retriever over the bundled article with the
real bundled model.
"""

from __future__ import annotations

import pytest
from langchain_tests.integration_tests import RetrieversIntegrationTests, VectorStoreIntegrationTests

from rag import Assistant
from rag.retrieve import KnowledgeBaseRetriever
from rag.vectorstore import KnowledgeBaseVectorStore


class TestKnowledgeBaseVectorStore(VectorStoreIntegrationTests):
    @pytest.fixture()
    def vectorstore(self):
        yield KnowledgeBaseVectorStore(self.get_embeddings())


@pytest.fixture(scope="module")
def bundled_searcher(bundled_index):
    return Assistant.load(bundled_index).searcher


class TestKnowledgeBaseRetriever(RetrieversIntegrationTests):
    @pytest.fixture(autouse=True)
    def _searcher(self, bundled_searcher):
        type(self).searcher = bundled_searcher

    @property
    def retriever_constructor(self):
        return KnowledgeBaseRetriever

    @property
    def retriever_constructor_params(self):
        return {"searcher": type(self).searcher, "k": 2}

    @property
    def retriever_query_example(self):
        return "How many standard racks does Shaoguan plan to build?"
